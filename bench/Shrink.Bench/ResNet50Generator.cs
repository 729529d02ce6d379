using Shrink.Model;
using static Shrink.Bench.GraphBuilder;

namespace Shrink.Bench;

/// <summary>
/// A ResNet-50-shaped classifier (v1.5: stride on the 3x3 conv) with batch norm folded into conv biases:
/// about 25.5M random float parameters, opset 13, input <c>input</c> [batch,3,224,224], output <c>logits</c> [batch,1000].
/// </summary>
internal static class ResNet50Generator
{
    public const string InputName = "input";

    public static OnnxModel Build(ulong seed = 50)
    {
        var b = new GraphBuilder("resnet50", opset: 13, seed);
        b.Input(InputName, ElementType.Float, Symbol("batch"), Fixed(3), Fixed(224), Fixed(224));

        string x = Conv(b, InputName, 3, 64, kernel: 7, stride: 2);
        x = b.Op("Relu", "stem_relu", [x]);
        x = b.Op("MaxPool", "stem_pool", [x], [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)]);

        long channels = 64;
        (int Blocks, long Width, long Stride)[] stages = [(3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)];
        foreach (var (blocks, width, stride) in stages)
        {
            for (int i = 0; i < blocks; i++)
            {
                x = Bottleneck(b, x, channels, width, i == 0 ? stride : 1);
                channels = width * 4;
            }
        }

        x = b.Op("GlobalAveragePool", "gap", [x]);
        x = b.Op("Flatten", "flatten", [x], [Int("axis", 1)]);
        string w = b.RandomWeight("fc_w", [1000, channels], MathF.Sqrt(3f / channels));
        string bias = b.FilledWeight("fc_b", [1000], 0f);
        b.Op("Gemm", "fc", [x, w, bias], [Int("transB", 1)], output: "logits");
        b.Output("logits", ElementType.Float, Symbol("batch"), Fixed(1000));
        return b.Finish();
    }

    private static string Bottleneck(GraphBuilder b, string x, long inChannels, long width, long stride)
    {
        long outChannels = width * 4;
        string y = b.Op("Relu", "relu", [Conv(b, x, inChannels, width, kernel: 1, stride: 1)]);
        y = b.Op("Relu", "relu", [Conv(b, y, width, width, kernel: 3, stride: stride)]);
        y = Conv(b, y, width, outChannels, kernel: 1, stride: 1);
        string shortcut = inChannels != outChannels || stride != 1 ? Conv(b, x, inChannels, outChannels, kernel: 1, stride: stride) : x;
        return b.Op("Relu", "relu", [b.Op("Add", "add", [y, shortcut])]);
    }

    private static string Conv(GraphBuilder b, string x, long inChannels, long outChannels, long kernel, long stride)
    {
        // He-uniform: keeps activations in a sane range through 50 layers of random weights.
        float scale = MathF.Sqrt(6f / (inChannels * kernel * kernel));
        string w = b.RandomWeight("conv_w", [outChannels, inChannels, kernel, kernel], scale);
        string bias = b.FilledWeight("conv_b", [outChannels], 0f);
        long pad = kernel / 2;
        return b.Op("Conv", "conv", [x, w, bias],
            [Ints("kernel_shape", kernel, kernel), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad)]);
    }
}
