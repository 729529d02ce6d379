using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class DataSourcesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>What an application writes: an iterator yielding one sample at a time (it restarts on every pass).</summary>
    private static IEnumerable<IReadOnlyDictionary<string, (Array Values, long[] Shape)>> Samples(int count)
    {
        for (int i = 0; i < count; i++)
            yield return new Dictionary<string, (Array, long[])>
            {
                ["x"] = (new double[] { i, i + 1, -i, 0.5 }, [4]),
                ["t"] = (new[] { i * 10 }, []),
            };
    }

    [Fact]
    public void An_application_streams_its_samples_into_a_real_evaluation()
    {
        string model = TinyModels.WriteTo(NamedArrayFixtures.TwoInputs(features: 4), _dir.File("two.onnx"));
        var options = new EvaluationOptions { LatencyBatchSizes = [] };

        var result = new ModelEvaluator(options).Evaluate(model, model, inputs => DataSources.FromSamples(Samples(7), inputs, count: 7));

        Assert.Equal(7, result.Samples);
        var fidelity = Assert.Single(result.Fidelity!);
        Assert.Equal(1.0, fidelity.Cosine!.Value, 9);
        Assert.Null(result.RandomData);
    }

    [Fact]
    public void Samples_are_batched_converted_and_checked()
    {
        ModelInputSpec[] inputs = [Input("x", ElementType.Float, null, 4), Input("t", ElementType.Int64, [null])];

        using var source = DataSources.FromSamples(Samples(5), inputs);

        var batches = source.ReadBatches(2).ToList();
        Assert.Equal([2, 2, 1], batches.Select(b => b.Count));
        Assert.Equal([0L, 10, 20, 30, 40], batches.SelectMany(b => (long[])b.Inputs.Single(t => t.Name == "t").Data));
        Assert.Equal([1f, 2, -1, 0.5f], ((float[])batches[0].Inputs.Single(t => t.Name == "x").Data)[4..]);
        Assert.Equal(2, source.ReadBatches(3, limit: 4).Count());

        var floatsForInt = DataSources.FromSamples([new Dictionary<string, (Array, long[])> { ["x"] = (new float[4], [4]), ["t"] = (new[] { 0.5f }, []) }], inputs);
        Assert.Contains("'t'", Assert.Throws<ShrinkException>(() => floatsForInt.ReadBatches(1).ToList()).Message);
        var unknown = Assert.Throws<ShrinkException>(() => DataSources.FromSamples([new Dictionary<string, (Array, long[])> { ["z"] = (new float[4], [4]) }], inputs));
        Assert.Contains("'x', 't'", unknown.Message);
        var missing = Assert.Throws<ShrinkException>(() => DataSources.FromSamples([new Dictionary<string, (Array, long[])> { ["x"] = (new float[4], [4]) }], inputs));
        Assert.Contains("'t'", missing.Message);
    }
}
