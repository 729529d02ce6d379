using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning;

/// <summary>
/// A tiny UNet level as PyTorch exports it (opset 17), input x [batch, 1, 8, 8]: b = Conv(x) (4 channels); a = Conv(b,
/// stride 2) (4); Resize(a, nearest, scales 1,1,2,2); u = Conv (4); the skip Concat [u | b] (8 channels); GroupNorm with
/// 4 groups (runs of 2 channels) written as Reshape [0, 4, −1] → InstanceNormalization (scale and bias of 4, not ones and
/// zeros, so cutting them is checked) → Reshape back to Shape(concat) → Mul γ → Add β; SiLU as Sigmoid·Mul; y = Conv (1
/// channel). <see cref="Build"/> writes it with only the given channels of a, b and u: with all of them it is the full
/// model, with fewer it is the pruned model made by hand from the same weights.
/// </summary>
internal static class GroupNormUNetFixture
{
    public const int Width = 4;
    public static readonly int[] All = [0, 1, 2, 3];

    private static readonly float[] Wb = TinyModels.RandomFloats(Width * 9, 31), Bb = TinyModels.RandomFloats(Width, 32);
    private static readonly float[] Wa = TinyModels.RandomFloats(Width * Width * 9, 33), Ba = TinyModels.RandomFloats(Width, 34);
    private static readonly float[] Wu = TinyModels.RandomFloats(Width * Width * 9, 35), Bu = TinyModels.RandomFloats(Width, 36);
    private static readonly float[] Wo = TinyModels.RandomFloats(2 * Width * 9, 37), Bo = TinyModels.RandomFloats(1, 38);
    private static readonly float[] Gamma = TinyModels.RandomFloats(2 * Width, 39), Beta = TinyModels.RandomFloats(2 * Width, 40);
    private static readonly float[] NormScale = [0.5f, 1.5f, -1f, 2f], NormBias = [0.1f, -0.2f, 0.3f, 0.4f];

    /// <summary>
    /// The model keeping channels <paramref name="keepA"/>, <paramref name="keepB"/>, <paramref name="keepU"/> (b and u in
    /// whole runs of 2); b's filters and biases in <paramref name="deadB"/> are zero.
    /// </summary>
    public static ModelProto Build(int[] keepA, int[] keepB, int[] keepU, int[]? deadB = null)
    {
        var (wb, bb) = ((float[])Wb.Clone(), (float[])Bb.Clone());
        foreach (int c in deadB ?? [])
        {
            Array.Clear(wb, c * 9, 9);
            bb[c] = 0;
        }
        var g = new GraphProto { Name = "gn_unet" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 1, 8, 8));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 1, 8, 8));
        // Concat channel k: u's channel k for k < 4, b's channel k − 4 after.
        int[] concat = [.. keepU, .. keepB.Select(c => Width + c)];
        int[] normGroups = concat.Where(k => k % 2 == 0).Select(k => k / 2).ToArray();
        Conv(g, "x", "b", Pick(wb, 1, 9, keepB, [0]), bb, keepB, 1, 1);
        Conv(g, "b", "a", Pick(Wa, Width, 9, keepA, keepB), Ba, keepA, keepB.Length, 2);
        g.Initializer.Add(TinyModels.FloatTensor("scales", [4], [1f, 1f, 2f, 2f]));
        var resize = TinyModels.Node("Resize", ["a", "", "scales"], ["r"], "resize");
        resize.Attribute.Add(new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("nearest") });
        g.Node.Add(resize);
        Conv(g, "r", "u", Pick(Wu, Width, 9, keepU, keepA), Bu, keepU, keepA.Length, 1);
        var cat = TinyModels.Node("Concat", ["u", "b"], ["c"], "skip_concat");
        cat.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Node.Add(cat);
        g.Node.Add(TinyModels.ConstantNode("gn_shape", Int64s("gn_shape", [0, normGroups.Length, -1]), "gn_shape_constant"));
        g.Node.Add(TinyModels.Node("Reshape", ["c", "gn_shape"], ["grouped"], "gn_reshape"));
        g.Node.Add(TinyModels.ConstantNode("gn_scale", TinyModels.FloatTensor("gn_scale", [normGroups.Length], normGroups.Select(i => NormScale[i]).ToArray()), "gn_scale_constant"));
        g.Node.Add(TinyModels.ConstantNode("gn_bias", TinyModels.FloatTensor("gn_bias", [normGroups.Length], normGroups.Select(i => NormBias[i]).ToArray()), "gn_bias_constant"));
        var norm = TinyModels.Node("InstanceNormalization", ["grouped", "gn_scale", "gn_bias"], ["normed"], "gn_instance_norm");
        norm.Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = 1e-5f });
        g.Node.Add(norm);
        g.Node.Add(TinyModels.Node("Shape", ["c"], ["c_shape"], "gn_shape_read"));
        g.Node.Add(TinyModels.Node("Reshape", ["normed", "c_shape"], ["ungrouped"], "gn_reshape_back"));
        g.Node.Add(TinyModels.ConstantNode("gamma", TinyModels.FloatTensor("gamma", [concat.Length, 1, 1], concat.Select(k => Gamma[k]).ToArray()), "gamma_constant"));
        g.Node.Add(TinyModels.ConstantNode("beta", TinyModels.FloatTensor("beta", [concat.Length, 1, 1], concat.Select(k => Beta[k]).ToArray()), "beta_constant"));
        g.Node.Add(TinyModels.Node("Mul", ["ungrouped", "gamma"], ["scaled"], "gn_mul"));
        g.Node.Add(TinyModels.Node("Add", ["scaled", "beta"], ["shifted"], "gn_add"));
        g.Node.Add(TinyModels.Node("Sigmoid", ["shifted"], ["sig"], "silu_sigmoid"));
        g.Node.Add(TinyModels.Node("Mul", ["shifted", "sig"], ["h"], "silu_mul"));
        Conv(g, "h", "y", Pick(Wo, 2 * Width, 9, [0], concat), Bo, [0], concat.Length, 1);
        return TinyModels.BuildModel(g, opset: 17);
    }

    /// <summary>A batch of inputs.</summary>
    public static Dictionary<string, TensorProto> Input(int batch) => new()
    {
        ["x"] = TinyModels.FloatTensor("x", [batch, 1, 8, 8], TinyModels.RandomFloats(batch * 64, 41)),
    };

    private static TensorProto Int64s(string name, long[] values) =>
        TinyModels.RawTensor(name, TinyModels.Int64, [values.Length], [.. values.SelectMany(BitConverter.GetBytes)]);

    /// <summary>Rows <paramref name="rows"/> and input columns <paramref name="columns"/> of a [out, in, k·k] weight.</summary>
    private static float[] Pick(float[] w, int inChannels, int kernel, int[] rows, int[] columns)
    {
        var result = new List<float>();
        foreach (int r in rows)
            foreach (int c in columns)
                result.AddRange(w.AsSpan((r * inChannels + c) * kernel, kernel).ToArray());
        return [.. result];
    }

    private static void Conv(GraphProto g, string input, string output, float[] w, float[] bias, int[] rows, int inChannels, int stride)
    {
        g.Initializer.Add(TinyModels.FloatTensor(output + "_W", [rows.Length, inChannels, 3, 3], w));
        g.Initializer.Add(TinyModels.FloatTensor(output + "_B", [rows.Length], rows.Select(r => bias[r]).ToArray()));
        var node = TinyModels.Node("Conv", [input, output + "_W", output + "_B"], [output], output + "_conv");
        node.Attribute.Add(ChannelFixtures.Ints("kernel_shape", 3, 3));
        node.Attribute.Add(ChannelFixtures.Ints("pads", 1, 1, 1, 1));
        node.Attribute.Add(ChannelFixtures.Ints("strides", stride, stride));
        g.Node.Add(node);
    }
}
