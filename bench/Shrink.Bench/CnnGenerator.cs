using Shrink.Model;
using static Shrink.Bench.GraphBuilder;

namespace Shrink.Bench;

/// <summary>
/// Two CNNs shaped like the third-party exports users quantize, with random weights (good for measuring memory and
/// time; they say nothing about accuracy):
/// a detector on 640×640×3 (YOLO-like: stride-2 stages of 3×3 conv + SiLU with residual blocks, a 1×1 head at stride
/// 32, about 2.3 G MACs and 1.3M parameters) and a text-line recognizer on 48×320×3 (CRNN-like: conv + ReLU stages
/// down to a 6×80 map, then per-column MatMuls, about 0.8 G MACs and 2.4M parameters).
/// Both have a symbolic batch dimension and opset 13.
/// </summary>
internal static class CnnGenerator
{
    public const string InputName = "input";

    /// <summary>The detector, 640×640 input.</summary>
    public static OnnxModel Detector(ulong seed = 640)
    {
        var b = new GraphBuilder("detector", opset: 13, seed);
        b.Input(InputName, ElementType.Float, Symbol("batch"), Fixed(3), Fixed(640), Fixed(640));
        string x = Silu(b, Conv(b, InputName, 3, 16, 3, 2, 2));
        long channels = 16;
        (long Width, int Blocks)[] stages = [(32, 2), (64, 2), (128, 2), (256, 1)];
        foreach (var (width, blocks) in stages)
        {
            x = Silu(b, Conv(b, x, channels, width, 3, 2, 2));
            channels = width;
            for (int i = 0; i < blocks; i++)
                x = b.Op("Add", "add", [x, Silu(b, Conv(b, x, channels, channels, 3, 1, 1))]);
        }
        b.Op("Conv", "head", [x, b.RandomWeight("head_w", [85, channels, 1, 1], MathF.Sqrt(3f / channels)), b.FilledWeight("head_b", [85], 0f)],
            [Ints("kernel_shape", 1, 1)], output: "boxes");
        b.Output("boxes", ElementType.Float, Symbol("batch"), Fixed(85), Fixed(20), Fixed(20));
        return b.Finish();
    }

    /// <summary>The recognizer, 48×320 input, 97 classes per column.</summary>
    public static OnnxModel Recognizer(ulong seed = 48)
    {
        var b = new GraphBuilder("recognizer", opset: 13, seed);
        b.Input(InputName, ElementType.Float, Symbol("batch"), Fixed(3), Fixed(48), Fixed(320));
        string x = b.Op("Relu", "relu", [Conv(b, InputName, 3, 32, 3, 1, 1)]);
        x = b.Op("Relu", "relu", [Conv(b, x, 32, 64, 3, 2, 2)]);
        x = b.Op("Relu", "relu", [Conv(b, x, 64, 128, 3, 2, 2)]);
        x = b.Op("Add", "add", [x, b.Op("Relu", "relu", [Conv(b, x, 128, 128, 3, 1, 1)])]);
        x = b.Op("Relu", "relu", [Conv(b, x, 128, 256, 3, 2, 1)]); // [N,256,6,80]
        x = b.Op("Add", "add", [x, b.Op("Relu", "relu", [Conv(b, x, 256, 256, 3, 1, 1)])]);
        x = b.Op("Transpose", "columns", [x], [Ints("perm", 0, 3, 1, 2)]); // [N,80,256,6]
        x = b.Op("Reshape", "flat", [x, b.Int64s("shape", [3], [0, 0, -1])]); // [N,80,1536]
        x = b.Op("Relu", "relu", [b.Op("MatMul", "proj", [x, b.RandomWeight("proj_w", [1536, 512], MathF.Sqrt(6f / 1536))])]);
        b.Op("MatMul", "classes", [x, b.RandomWeight("cls_w", [512, 97], MathF.Sqrt(3f / 512))], output: "logits");
        b.Output("logits", ElementType.Float, Symbol("batch"), Fixed(80), Fixed(97));
        return b.Finish();
    }

    private static string Silu(GraphBuilder b, string x) => b.Op("Mul", "silu", [x, b.Op("Sigmoid", "sigmoid", [x])]);

    private static string Conv(GraphBuilder b, string x, long inChannels, long outChannels, long kernel, long strideH, long strideW)
    {
        float scale = MathF.Sqrt(6f / (inChannels * kernel * kernel));
        string w = b.RandomWeight("conv_w", [outChannels, inChannels, kernel, kernel], scale);
        string bias = b.FilledWeight("conv_b", [outChannels], 0f);
        long pad = kernel / 2;
        return b.Op("Conv", "conv", [x, w, bias],
            [Ints("kernel_shape", kernel, kernel), Ints("strides", strideH, strideW), Ints("pads", pad, pad, pad, pad)]);
    }
}
