using Onnx;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Tests.Data;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Evaluation;

/// <summary>The evaluator on random data for models whose inputs are not one float image: token ids, scalars, states, a fixed batch.</summary>
public sealed class ModelEvaluatorInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private EvaluationResult Evaluate(ModelProto model, string name, string data, DataOptions? options = null, IReadOnlyList<int>? latency = null)
    {
        string path = InputModels.Write(model, _dir, name);
        var evaluation = new EvaluationOptions { LatencyBatchSizes = latency ?? [], Latency = new LatencyMeter { Runs = 2, WarmupRuns = 0 } };
        return new ModelEvaluator(evaluation).Evaluate(path, null, inputs => DataSourceFactory.Open(data, options ?? new DataOptions(), inputs));
    }

    [Fact]
    public void Token_ids_on_random_data_stay_inside_their_embeddings()
    {
        // Before: token_type_ids up to 15 into a 2-row table, and ORT failed in Gather.
        var result = Evaluate(InputModels.Embeddings(), "bert", "random:8", new DataOptions { ShapeOverrides = new Dictionary<string, long[]> { ["input_ids"] = [1, 5], ["token_type_ids"] = [1, 5] } });

        Assert.Equal(8, result.Samples);
    }

    [Fact]
    public void A_scalar_input_is_fed_as_a_scalar()
    {
        var result = Evaluate(InputModels.ScalarInput(), "scalar", "random:8");

        Assert.Equal(8, result.Samples);
    }

    [Fact]
    public void A_recurrent_state_is_batched_on_its_batch_axis()
    {
        var result = Evaluate(InputModels.RecurrentState(), "rnn", "random:8", latency: [1, 4]);

        Assert.Equal(8, result.Samples);
        Assert.Equal(["1", "4"], result.LatencyMs.Keys.Order());
    }

    [Fact]
    public void A_fixed_batch_of_1_runs_one_sample_per_batch()
    {
        // Before: ORT's "Got: 4 Expected: 1".
        var notes = new List<string>();
        var result = Evaluate(InputModels.FixedBatchOne(), "fixed", "random:4", new DataOptions { Note = notes.Add }, latency: [1, 64]);

        Assert.Equal(4, result.Samples);
        Assert.Contains("one sample per batch", result.Data);
        Assert.Equal(["1"], result.LatencyMs.Keys);
        Assert.Single(notes);
    }

    [Fact]
    public void A_fixed_batch_of_3_counts_only_the_real_samples_of_a_padded_last_batch()
    {
        var model = InputModels.FixedBatchOne();
        model.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimValue = 3;
        model.Graph.Output[0].Type.TensorType.Shape.Dim[0].DimValue = 3;

        var result = Evaluate(model, "fixed3", "random:7", latency: []);

        Assert.Equal(7, result.Samples);
    }
}
