using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;
using ModelInputs = Shrink.Runtime.ModelInputs;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public class RotationTests
{
    private const int Channels = 32;
    private const int OutlierChannel = 3;

    /// <summary>
    /// X [batch,32] read by two MatMuls ("left" [32,8] + bias, "right" [32,4]); "small" [8,3] reads left's output (K = 8,
    /// too small to rotate). Outputs: right's and small's.
    /// </summary>
    internal static OnnxModel TwoReadersModel()
    {
        var graph = new GraphProto { Name = "two_readers" };
        graph.Input.Add(FloatInfo("X", "batch", Channels));
        graph.Output.Add(FloatInfo("right_out", "batch", 4));
        graph.Output.Add(FloatInfo("small_out", "batch", 3));
        graph.Initializer.Add(FloatTensor("W_left", [Channels, 8], RandomFloats(Channels * 8, 1)));
        graph.Initializer.Add(FloatTensor("b_left", [8], RandomFloats(8, 2)));
        graph.Initializer.Add(FloatTensor("W_right", [Channels, 4], RandomFloats(Channels * 4, 3)));
        graph.Initializer.Add(FloatTensor("W_small", [8, 3], RandomFloats(24, 4)));
        graph.Node.Add(Node("MatMul", ["X", "W_left"], ["left_mm"], "left"));
        graph.Node.Add(Node("Add", ["left_mm", "b_left"], ["left_out"], "left_bias"));
        graph.Node.Add(Node("MatMul", ["X", "W_right"], ["right_out"], "right"));
        graph.Node.Add(Node("MatMul", ["left_out", "W_small"], ["small_out"], "small"));
        return OnnxModel.FromProto(BuildModel(graph));
    }

    /// <summary>Gaussian rows whose channel 3 is 40 times larger than the others.</summary>
    internal static float[] OutlierRows(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * Channels];
        for (int i = 0; i < x.Length; i++)
        {
            double g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            x[i] = (float)(g * (i % Channels == OutlierChannel ? 40 : 1));
        }
        return x;
    }

    internal static IDataSource Data(OnnxModel model, int rows, int seed)
    {
        var x = OutlierRows(rows, seed);
        var samples = Enumerable.Range(0, rows).Select(r =>
            (IReadOnlyDictionary<string, (Array, long[])>)new Dictionary<string, (Array, long[])> { ["X"] = (x.AsSpan(r * Channels, Channels).ToArray(), [Channels]) }).ToList();
        return DataSources.FromSamples(samples, ModelInputs.Of(model), samples.Count);
    }

    private static EquivalenceContext Context(OnnxModel model, RotationKind kind) => new()
    {
        Options = new EquivalenceOptions { Rotate = kind, Seed = 7 },
        Target = new EquivalenceTarget(8, true, true, 0, 4, true),
        Data = Data(model, 64, 11),
        Samples = 64,
        BatchSize = 16,
    };

    private static IReadOnlyList<OutputTensor> RunOrt(OnnxModel model, float[] x, int rows) =>
        OrtRunner.RunOnce(model.ToByteArray(), new Dictionary<string, TensorProto> { ["X"] = FloatTensor("X", [rows, Channels], x) });

    private static float[] Floats(OutputTensor t) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray();

    [Theory]
    [InlineData(RotationKind.Hadamard, "hadamard 32 = 2^5, online")]
    [InlineData(RotationKind.Klt, "klt 32, online")]
    [InlineData(RotationKind.KltHadamard, "klt+hadamard 32 = 2^5, online")]
    public void Online_rotation_keeps_the_function_and_shares_one_rotation_between_readers(RotationKind kind, string setting)
    {
        var original = TwoReadersModel();
        var model = original.Clone();
        var results = EquivalenceTransforms.Apply(model, Context(model, kind));

        var result = Assert.Single(results);
        Assert.Equal("rotate", result.Name);
        Assert.True(result.FunctionChange <= 1e-5, $"function change {result.FunctionChange}");
        var applied = Assert.Single(result.Layers, l => l.Applied);
        Assert.Equal("left, right", applied.Node);
        Assert.Equal("X", applied.Tensor);
        Assert.Equal(setting, applied.Setting);
        // One inserted float MatMul feeds both readers; it is the node the quantizers must leave in float.
        var inserted = Assert.Single(result.FloatNodes);
        Assert.Equal("left/rotate", inserted);
        var rotate = model.Graph.Nodes.Single(n => n.Name == inserted);
        Assert.Equal(OpTypes.MatMul, rotate.OpType);
        Assert.Equal("X", rotate.Inputs[0]);
        Assert.All(model.Graph.Nodes.Where(n => n.Name is "left" or "right"), n => Assert.Equal(rotate.Outputs[0], n.Inputs[0]));

        // ORT on fresh data: the rotated model gives the original's outputs.
        var x = OutlierRows(20, 99);
        var expected = RunOrt(original, x, 20);
        var actual = RunOrt(model, x, 20);
        for (int o = 0; o < expected.Count; o++)
        {
            var e = Floats(expected[o]);
            var a = Floats(actual[o]);
            double scale = e.Max(Math.Abs);
            for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-4 * scale, $"output {o} element {i}: {a[i]} vs {e[i]}");
        }
    }

    [Fact]
    public void Hadamard_rotation_spreads_an_outlier_channel()
    {
        var model = TwoReadersModel();
        var result = EquivalenceTransforms.Apply(model, Context(model, RotationKind.Hadamard)).Single();
        var row = result.Layers.Single(l => l.Applied);
        Assert.True(row.OutlierRatioBefore > 20, $"before: {row.OutlierRatioBefore}");
        Assert.True(row.OutlierRatioAfter < 3, $"after: {row.OutlierRatioAfter}");
        Assert.True(row.MaxAfter < row.MaxBefore / 2, $"max |x| {row.MaxBefore} → {row.MaxAfter}");
    }

    [Fact]
    public void Inputs_with_fewer_than_16_channels_are_left_alone_and_said_so()
    {
        var model = TwoReadersModel();
        var result = EquivalenceTransforms.Apply(model, Context(model, RotationKind.Hadamard)).Single();
        var skipped = Assert.Single(result.Layers, l => !l.Applied);
        Assert.Equal("small", skipped.Node);
        Assert.Equal("reduction size 8 < 16", skipped.Skipped);
        Assert.Equal("left_out", model.Graph.Nodes.Single(n => n.Name == "small").Inputs[0]);
        Assert.Equal(TwoReadersModel().Graph.FindInitializer("W_small")!.ToFloatArray(), model.Graph.FindInitializer("W_small")!.ToFloatArray());
    }

    [Fact]
    public void Hadamard_needs_no_data_but_the_klt_does()
    {
        var rotation = new Rotation();
        Assert.False(rotation.NeedsData(new EquivalenceOptions { Rotate = RotationKind.Hadamard }));
        Assert.True(rotation.NeedsData(new EquivalenceOptions { Rotate = RotationKind.Klt }));
        Assert.True(rotation.NeedsData(new EquivalenceOptions { Rotate = RotationKind.KltHadamard }));

        var model = TwoReadersModel();
        var result = EquivalenceTransforms.Apply(model, new EquivalenceContext { Options = new EquivalenceOptions { Rotate = RotationKind.Hadamard }, Target = new EquivalenceTarget(4, true, true, 0, null, false) }).Single();
        var row = result.Layers.Single(l => l.Applied);
        Assert.True(double.IsNaN(row.MaxBefore));
        var klt = Assert.Throws<ShrinkException>(() => EquivalenceTransforms.Apply(TwoReadersModel(), new EquivalenceContext { Options = new EquivalenceOptions { Rotate = RotationKind.Klt }, Target = new EquivalenceTarget(4, true, true, 0, null, false) }));
        Assert.Contains("rotate needs calibration data", klt.Message);
    }

    [Theory]
    [InlineData("--activations", "int4")]
    [InlineData("--weights", "int4")]
    public void Cli_rotates_then_quantizes_and_leaves_the_rotation_in_float(string option, string value)
    {
        using var dir = new TempDirectory();
        string input = dir.File("two_readers.onnx"), output = dir.File("out.onnx"), data = dir.File("x.npy");
        TwoReadersModel().Save(input);
        Shrink.Tests.Cli.OutputSafetyCliTests.WriteNpyFloat(data, [64, Channels], OutlierRows(64, 5));

        var r = ShrinkCli.Run("quantize", input, "-o", output, "--data", data, option, value, "--rotate", "hadamard");

        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("hadamard 32 = 2^5, online", r.Stdout);
        var written = OnnxModel.Load(output);
        var rotate = written.Graph.Nodes.Single(n => n.Name == "left/rotate");
        Assert.Equal("X", rotate.Inputs[0]);
        Assert.NotNull(written.Graph.FindInitializer(rotate.Inputs[1])); // a float constant, not a dequantized weight
        Assert.Equal(ElementType.Float, written.Graph.FindInitializer(rotate.Inputs[1])!.Type);
        // The rotated layer was quantized: no float [32,8] weight is left.
        Assert.DoesNotContain(written.Graph.Initializers.Values, t => t.Type == ElementType.Float && t.Dims.SequenceEqual([Channels, 8L]));
    }
}
