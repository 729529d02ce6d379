using System.Text.Json;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Methods.Quantization.Equivalence.EquivalenceFixtures;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public sealed class EqualizationCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static JsonElement Transform(JsonElement root, string name)
    {
        foreach (var p in root.EnumerateObject())
            if (p.Name.Equals("equivalence", StringComparison.OrdinalIgnoreCase))
                return p.Value.EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);
        throw new InvalidOperationException("no equivalence results in the JSON");
    }

    [Fact]
    public void Quantize_with_equalize_and_empirical_bias_correction_writes_a_model_ort_loads_and_lists_the_pairs()
    {
        string model = TinyModels.WriteTo(PointwisePair(), _dir.File("pw.onnx"));
        string output = _dir.File("pw.int8.onnx"), json = _dir.File("q.json");

        var r = ShrinkCli.Run("quantize", model, "-o", output, "--data", "random:32", "--per-tensor-weights", "--equalize", "--bias-correction", "empirical", "--json", json);

        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using (var session = OrtRunner.Open(output)) Assert.Single(session.OutputNames);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var equalize = Transform(doc.RootElement, "equalize");
        var pair = equalize.GetProperty("layers").EnumerateArray().Single();
        Assert.Equal("pw1 → pw2", pair.GetProperty("node").GetString());
        var correction = Transform(doc.RootElement, "bias-correction");
        Assert.Equal(["pw1", "pw2"], correction.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("node").GetString()).Order());
        Assert.Contains("equalize", r.Stdout + File.ReadAllText(json));
    }

    [Fact]
    public void Weight_only_int4_with_equalize_keeps_the_pair_and_loads()
    {
        string model = TinyModels.WriteTo(PointwisePair(), _dir.File("pw.onnx"));
        string output = _dir.File("pw.int4.onnx");

        var r = ShrinkCli.Run("quantize", model, "-o", output, "--weights", "int4", "--equalize");

        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var session = OrtRunner.Open(output);
        Assert.Contains("pw1 → pw2", r.Stdout);
    }
}
