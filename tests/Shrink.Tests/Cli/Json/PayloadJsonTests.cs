using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shrink.Cli.Commands;
using Shrink.Cli.Json;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli.Json;

/// <summary>
/// The <c>--json</c> payloads of quantize and prune are named records serialized with the shared options: the JSON the real
/// CLI writes deserializes into the record and serializes back to the same text (same keys, order and values), so the
/// record, not a hand-built object, is what the command writes.
/// </summary>
public sealed class PayloadJsonTests
{
    private static string Calibration => Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz");

    [Theory]
    [InlineData(typeof(QuantizeJson))]
    [InlineData(typeof(WeightOnlyJson))]
    [InlineData(typeof(ChannelPruneJson))]
    [InlineData(typeof(SparsityJson))]
    [InlineData(typeof(LeftOpJson))]
    [InlineData(typeof(LeftNodeJson))]
    public void Payload_types_are_named_records(Type type)
    {
        Assert.False(type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false), $"{type.Name} is compiler-generated (anonymous)");
        Assert.DoesNotContain("AnonymousType", type.Name, StringComparison.Ordinal);
        Assert.NotNull(type.GetMethod("<Clone>$"));
        Assert.Equal("Shrink.Cli.Json", type.Namespace);
    }

    [Fact]
    public void Quantize_json_round_trips_through_its_record()
    {
        using var dir = new TempDirectory();
        string json = dir.File("q.json");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("q.onnx"), "--data", Calibration, "--samples", "32", "--analysis-samples", "16", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertRoundTrips<QuantizeJson>(File.ReadAllText(json));
    }

    [Fact]
    public void Weight_only_json_round_trips_through_its_record()
    {
        using var dir = new TempDirectory();
        string json = dir.File("w.json");
        var r = ShrinkCli.Run("quantize", ShrinkCli.Sample, "-o", dir.File("w.onnx"), "--weights", "int4", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertRoundTrips<WeightOnlyJson>(File.ReadAllText(json));
    }

    [Fact]
    public void Channel_prune_json_round_trips_through_its_record()
    {
        using var dir = new TempDirectory();
        string json = dir.File("p.json");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("p.onnx"), "--sparsity", "0.5", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertRoundTrips<ChannelPruneJson>(File.ReadAllText(json));
    }

    [Fact]
    public void Sparsity_prune_json_round_trips_through_its_record()
    {
        using var dir = new TempDirectory();
        string json = dir.File("s.json");
        var r = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("s.onnx"), "--sparsity", "0.5", "--granularity", "unstructured", "--json", json);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertRoundTrips<SparsityJson>(File.ReadAllText(json));
    }

    // The CLI adds the recipe beside the payload; everything else must be the record's, in its order.
    private static void AssertRoundTrips<T>(string written)
    {
        var node = JsonNode.Parse(written)!.AsObject();
        Assert.True(node.Remove("recipe"), "the recipe key is kept beside the payload");
        string expected = JsonOutput.Serialize(node);
        var record = JsonSerializer.Deserialize<T>(expected, JsonOutput.Options);
        Assert.NotNull(record);
        Assert.Equal(expected, JsonOutput.Serialize(record));
    }
}
