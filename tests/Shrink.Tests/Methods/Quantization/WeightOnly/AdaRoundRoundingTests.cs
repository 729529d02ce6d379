using Onnx;
using Shrink.Data;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Quantization.WeightOnly;

public sealed class AdaRoundRoundingTests
{
    // A layer whose inputs are correlated (X = Z·M, M a random mixing plus the identity), weights in ±0.05: the case
    // where choosing the rounding direction jointly pays. Returns W [rows × cols] and H = XᵀX.
    private static (float[] W, float[] H) CorrelatedLayer(int rows, int cols, int samples, int seed) =>
        GptqRoundingTests.Layer(rows, cols, samples, seed, weightScale: 0.05);

    [Theory]
    [InlineData(4, 32)]
    [InlineData(3, 16)]
    [InlineData(4, 0)]
    public void The_output_error_is_below_round_to_nearest_and_below_nearest_on_the_same_scales(int bits, int group)
    {
        const int rows = 32, cols = 64;
        var (w, h) = CorrelatedLayer(rows, cols, 400, seed: bits * 100 + group);
        var settings = new WeightRoundingSettings { Grid = new WeightGrid(bits, true), GroupSize = group, ClipSteps = 20 };
        double rtn = GptqRoundingTests.OutputError(w, new RoundToNearest().Round(w, rows, cols, null, settings with { ClipSteps = 1 }).Dequantize(), h, rows, cols);
        // No steps: every weight rounds to the nearest level of AdaRound's own scales.
        double nearest = GptqRoundingTests.OutputError(w, new AdaRoundRounding { Iterations = 0 }.Round(w, rows, cols, h, settings).Dequantize(), h, rows, cols);
        double ada = GptqRoundingTests.OutputError(w, new AdaRoundRounding().Round(w, rows, cols, h, settings).Dequantize(), h, rows, cols);
        Assert.True(ada < 0.55 * rtn, $"AdaRound {ada:G4} vs round-to-nearest {rtn:G4}");
        Assert.True(ada < 0.7 * nearest, $"AdaRound {ada:G4} vs nearest on the same scales {nearest:G4}");
    }

    [Fact]
    public void Every_code_is_the_floor_or_the_ceiling_of_w_over_s_on_the_grid()
    {
        const int rows = 24, cols = 48;
        var (w, h) = CorrelatedLayer(rows, cols, 200, seed: 5);
        foreach (var grid in new[] { new WeightGrid(3, true), new WeightGrid(4, false) })
        {
            var q = new AdaRoundRounding().Round(w, rows, cols, h, new WeightRoundingSettings { Grid = grid, GroupSize = 16, ClipSteps = 20 });
            int moved = 0;
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    int g = r * q.GroupCount + c / q.GroupSize, code = q.Codes[r * cols + c];
                    float x = w[r * cols + c] / q.Scales[g];
                    int zp = q.ZeroPoints[g];
                    int down = (int)Math.Clamp(MathF.Floor(x) + zp, 0, grid.MaxCode), up = (int)Math.Clamp(MathF.Floor(x) + 1 + zp, 0, grid.MaxCode);
                    Assert.True(code == down || code == up, $"{grid}: w/s = {x} (zero point {zp}) got code {code}, not {down} or {up}");
                    if (code != grid.Quantize(w[r * cols + c], q.Scales[g], zp)) moved++;
                }
            }
            // Some weights are rounded away from the nearest level: the method did something.
            Assert.True(moved > rows * cols / 50, $"{grid}: only {moved} of {rows * cols} codes differ from nearest rounding");
        }
    }

    [Fact]
    public void The_same_input_gives_the_same_codes_and_scales()
    {
        var (w, h) = CorrelatedLayer(40, 96, 300, seed: 9);
        var settings = new WeightRoundingSettings { Grid = new WeightGrid(4, true), GroupSize = 32, ClipSteps = 20 };
        var a = new AdaRoundRounding().Round(w, 40, 96, h, settings);
        var b = new AdaRoundRounding().Round(w, 40, 96, h, settings);
        Assert.Equal(a.Codes, b.Codes);
        Assert.Equal(a.Scales, b.Scales);
        Assert.Equal(a.ZeroPoints, b.ZeroPoints);
    }

    [Fact]
    public void A_hessian_without_signal_rounds_to_nearest_and_the_inputs_are_not_modified()
    {
        var (w, _) = CorrelatedLayer(8, 32, 10, seed: 2);
        var h = new float[32 * 32];
        var wCopy = (float[])w.Clone();
        var settings = new WeightRoundingSettings { Grid = new WeightGrid(4, true), GroupSize = 32 };
        var q = new AdaRoundRounding().Round(w, 8, 32, h, settings);
        Assert.Equal(new RoundToNearest().Round(w, 8, 32, null, settings).Codes, q.Codes);
        Assert.Equal(wCopy, w);
        Assert.All(h, v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentNullException>(() => new AdaRoundRounding().Round(w, 8, 32, null, settings));
    }

    [Fact]
    public void The_rounder_is_registered_needs_data_and_is_offered_by_quantize()
    {
        Assert.Contains("adaround", WeightRoundings.Names);
        var method = WeightRoundings.Create("AdaRound");
        Assert.IsType<AdaRoundRounding>(method);
        Assert.True(method.NeedsHessian);
        var option = global::Shrink.Cli.Cli.CreateRoot().Subcommands.Single(c => c.Name == "quantize").Options.Single(o => o.Name == "--method");
        Assert.Contains("adaround: ", option.Description, StringComparison.Ordinal);
        Assert.Empty(global::Shrink.Cli.Cli.CreateRoot().Parse(["quantize", "m.onnx", "-o", "q.onnx", "--weights", "int4", "--method", "adaround", "--data", "d.npy"]).Errors);
    }

    [Fact]
    public void Weight_only_quantization_with_adaround_writes_matmulnbits_with_less_error_than_rtn_and_refuses_no_data()
    {
        // input [batch, 64] → MatMul 64×48 → output
        var graph = new GraphProto { Name = "one" };
        graph.Input.Add(FloatInfo("input", "batch", 64));
        graph.Output.Add(FloatInfo("output", "batch", 48));
        graph.Initializer.Add(FloatTensor("W", [64, 48], RandomFloats(64 * 48, 7)));
        graph.Node.Add(Node("MatMul", ["input", "W"], ["output"], "fc"));
        var model = OnnxModel.FromProto(BuildModel(graph), "one");

        var options = new WeightOnlyOptions { Method = "adaround", Bits = 3, Samples = 128 };
        var result = new WeightOnlyQuantizer(options).Quantize(model, inputs => DataSourceFactory.Open("random:128", new DataOptions { Seed = 4 }, inputs));
        Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "MatMulNBits");
        var layer = Assert.Single(result.Layers);
        Assert.Equal("adaround", layer.Method);
        Assert.True(layer.MethodError < layer.RtnError, $"adaround {layer.MethodError} vs rtn {layer.RtnError}");

        var e = Assert.Throws<ShrinkException>(() => new WeightOnlyQuantizer(options).Quantize(model, null));
        Assert.Contains("adaround needs calibration data", e.Message, StringComparison.Ordinal);
    }
}
