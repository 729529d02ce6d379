using System.Text.Json;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Data.DataFixtures;
using static Shrink.Tests.Data.NamedArrayFixtures;

namespace Shrink.Tests.Cli;

/// <summary>Arrays by input name (.npz, a folder of NAME.npy, JSON Lines) and random data through the real CLI.</summary>
public sealed class NamedDataCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static float[] Xs(int n) => [.. Enumerable.Range(0, n * 16).Select(i => MathF.Sin(i * 0.7f) * 2)];

    private static long[] Ts(int n) => [.. Enumerable.Range(0, n).Select(i => (long)(i % 5 + 1))];

    private string TwoInputModel() => TinyModels.WriteTo(TwoInputs(), _dir.File("two.onnx"));

    [Fact]
    public void Eval_reads_a_two_input_model_from_an_npz()
    {
        string model = TwoInputModel();
        string data = Npz(_dir.File("d.npz"), true, ("x", Npy("<f4", [16, 16], Bytes(Xs(16)))), ("t", Npy("<i8", [16], Bytes(Ts(16)))));

        var r = ShrinkCli.Run("eval", model, "--reference", model, "--data", data, "--no-latency", "--json", "-");

        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(16, json.RootElement.GetProperty("samples").GetInt64());
        Assert.Equal(1.0, json.RootElement.GetProperty("fidelity")[0].GetProperty("cosine").GetDouble(), 6);
        Assert.False(json.RootElement.TryGetProperty("random_data", out _));
        Assert.DoesNotContain("warning", r.Stderr);
    }

    [Fact]
    public void Quantize_calibrates_a_two_input_model_from_a_folder_and_evaluates_on_an_npz()
    {
        string model = TwoInputModel();
        Write(_dir.File("calib", "x.npy"), Npy("<f4", [32, 16], Bytes(Xs(32))));
        Write(_dir.File("calib", "t.npy"), Npy("<i8", [32], Bytes(Ts(32))));
        string eval = Npz(_dir.File("eval.npz"), false, ("x", Npy("<f4", [8, 16], Bytes(Xs(8)))), ("t", Npy("<i8", [8], Bytes(Ts(8)))));
        string output = _dir.File("two.int8.onnx");

        var q = ShrinkCli.Run("quantize", model, "-o", output, "--data", _dir.File("calib"));
        var r = ShrinkCli.Run("eval", output, "--reference", model, "--data", eval, "--no-latency", "--json", "-");

        Assert.True(q.ExitCode == 0, q.Stderr);
        Assert.True(File.Exists(output));
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(8, json.RootElement.GetProperty("samples").GetInt64());
        Assert.InRange(json.RootElement.GetProperty("fidelity")[0].GetProperty("cosine").GetDouble(), 0.99, 1.0);
    }

    [Fact]
    public void Eval_reads_json_lines_and_derives_the_mask_and_token_types()
    {
        string model = TinyModels.WriteTo(TokenModel(), _dir.File("tokens.onnx"));
        string data = Lines(_dir.File("d.jsonl"), """{"input_ids": [1, 2, 3, 4]}""", """{"input_ids": [5, 6, 0, 1]}""", """{"input_ids": [2, 2, 2, 2]}""");

        var r = ShrinkCli.Run("eval", model, "--reference", model, "--data", data, "--no-latency", "--json", "-");

        Assert.True(r.ExitCode == 0, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(3, json.RootElement.GetProperty("samples").GetInt64());
        Assert.Single(r.Stderr.Split('\n'), l => l.Contains("'attention_mask' is not in the data", StringComparison.Ordinal));
        Assert.Single(r.Stderr.Split('\n'), l => l.Contains("'token_type_ids' is not in the data", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_named_data_fails_with_exit_1_naming_the_file_and_the_input()
    {
        string model = TwoInputModel();
        string floats = Npz(_dir.File("floats.npz"), false, ("x", Npy("<f4", [2, 16], Bytes(Xs(2)))), ("t", Npy("<f4", [2], Bytes(new float[] { 1, 2 }))));
        string jsonl = Lines(_dir.File("d.jsonl"), """{"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], "t": 1}""", """{"x": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], "t": 1.5}""");

        var npz = ShrinkCli.Run("eval", model, "--data", floats, "--no-latency");
        var lines = ShrinkCli.Run("eval", model, "--data", jsonl, "--no-latency");

        Assert.Equal(1, npz.ExitCode);
        Assert.Contains("floats.npz:t.npy", npz.Stderr);
        Assert.Contains("int64", npz.Stderr);
        Assert.Equal(1, lines.ExitCode);
        Assert.Contains("d.jsonl:2", lines.Stderr);
        Assert.DoesNotContain("   at ", npz.Stderr + lines.Stderr);
    }

    [Fact]
    public void Random_data_is_labelled_in_a_warning_said_once_and_in_the_json()
    {
        string model = TwoInputModel();

        var eval = ShrinkCli.Run("eval", model, "--reference", model, "--data", "random:8", "--no-latency", "--json", "-");
        var quantize = ShrinkCli.Run("quantize", model, "-o", _dir.File("q.onnx"), "--data", "random:16", "--json", "-");

        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Single(eval.Stderr.Split('\n'), l => l.StartsWith("warning:", StringComparison.Ordinal) && l.Contains("random", StringComparison.Ordinal));
        using (var json = JsonDocument.Parse(eval.Stdout))
            Assert.True(json.RootElement.GetProperty("random_data").GetBoolean());
        Assert.True(quantize.ExitCode == 0, quantize.Stderr);
        Assert.Single(quantize.Stderr.Split('\n'), l => l.StartsWith("warning:", StringComparison.Ordinal));
        using (var json = JsonDocument.Parse(quantize.Stdout))
            Assert.True(json.RootElement.GetProperty("random_data").GetBoolean());
    }
}
