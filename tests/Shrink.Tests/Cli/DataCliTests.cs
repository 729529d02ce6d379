using System.Diagnostics;
using Shrink.Tests.Data;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary>The data options through the real CLI: what is refused and with which exit code, and models random data must fit.</summary>
public sealed class DataCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Eval_on_random_data_feeds_token_ids_inside_their_tables()
    {
        string model = InputModels.Write(InputModels.Embeddings(), _dir, "bert");

        var r = ShrinkCli.Run("eval", model, "--data", "random:8", "--input-shape", "input_ids=1,5", "--input-shape", "token_type_ids=1,5", "--no-latency");

        Assert.True(r.ExitCode == 0, r.Stderr);
        var narrow = ShrinkCli.Run("eval", model, "--data", "random:8", "--input-shape", "input_ids=1,5", "--input-shape", "token_type_ids=1,5",
            "--input-range", "token_type_ids=0,1", "--no-latency");
        Assert.True(narrow.ExitCode == 0, narrow.Stderr);
    }

    [Fact]
    public void Input_range_and_batch_axis_are_checked()
    {
        string model = InputModels.Write(InputModels.RecurrentState(), _dir, "rnn");

        var backwards = ShrinkCli.Run("eval", model, "--data", "random:4", "--input-range", "x=2,1", "--no-latency");
        Assert.Equal(2, backwards.ExitCode);
        Assert.Contains("--input-range 'x=2,1'", backwards.Stderr);
        // A name the model does not have is a usage error, like --input-shape; so is a name given twice.
        var unknown = ShrinkCli.Run("eval", model, "--data", "random:4", "--input-range", "nope=0,1", "--no-latency");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("'nope'", unknown.Stderr);
        var twice = ShrinkCli.Run("eval", model, "--data", "random:4", "--input-range", "x=0,1", "--input-range", "x=0,2", "--no-latency");
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("twice", twice.Stderr);
        var outOfRank = ShrinkCli.Run("eval", model, "--data", "random:4", "--batch-axis", "h=7", "--no-latency");
        Assert.Equal(2, outOfRank.ExitCode);
        Assert.Contains("rank", outOfRank.Stderr);
        var axis = ShrinkCli.Run("eval", model, "--data", "random:4", "--batch-axis", "h=1", "--no-latency");
        Assert.True(axis.ExitCode == 0, axis.Stderr);
        var badAxis = ShrinkCli.Run("eval", model, "--data", "random:4", "--batch-axis", "h=x", "--no-latency");
        Assert.Equal(2, badAxis.ExitCode);
    }

    [Fact]
    public void A_fixed_batch_of_1_is_evaluated_and_quantized_one_sample_at_a_time()
    {
        string model = InputModels.Write(InputModels.FixedBatchOne(), _dir, "fixed");

        var eval = ShrinkCli.Run("eval", model, "--data", "random:4", "--runs", "2", "--warmup", "0");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.Single(eval.Stderr.Split('\n'), l => l.Contains("running one sample per batch", StringComparison.Ordinal));
        var quantize = ShrinkCli.Run("quantize", model, "-o", _dir.File("fixed.int8.onnx"), "--data", "random:8");
        Assert.True(quantize.ExitCode == 0, quantize.Stderr);
        Assert.True(File.Exists(_dir.File("fixed.int8.onnx")));
    }

    [Fact]
    public void An_absurd_random_count_is_a_usage_error_naming_the_limit()
    {
        var r = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", "random:1000000000000", "--no-latency");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("random:1000000000000", r.Stderr);
        Assert.Contains("10000000", r.Stderr);
    }

    [Fact]
    public void A_fifo_as_data_or_labels_is_refused_at_once()
    {
        string fifo = _dir.File("pipe");
        using (var p = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!) p.WaitForExit();

        var data = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", fifo, "--no-latency");
        Assert.Equal(1, data.ExitCode);
        Assert.Contains("FIFO", data.Stderr);
        var labels = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, "--labels", fifo, "--no-latency");
        Assert.Equal(1, labels.ExitCode);
        Assert.Contains("FIFO", labels.Stderr);
    }

    [Fact]
    public void Labels_of_another_data_set_are_refused_even_with_fewer_samples_used()
    {
        // The sample images hold 1,000; labels for 1,200 belong to something else, whatever --samples uses.
        string labels = _dir.File("labels-1200");
        File.WriteAllBytes(labels, DataFixtures.Idx(0x801, [1200], new byte[1200]));

        var r = ShrinkCli.Run("eval", ShrinkCli.Sample, "--data", ShrinkCli.SampleImages, "--labels", labels, "--samples", "100", "--no-latency");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("1200 labels", r.Stderr);
        Assert.Contains("1000 samples", r.Stderr);
        Assert.Contains("labels-1200", r.Stderr);
        Assert.Contains("t1k-images-idx3-ubyte.gz", r.Stderr);
    }
}
