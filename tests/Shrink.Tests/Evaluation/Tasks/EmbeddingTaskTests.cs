using Shrink.Data;
using Shrink.Evaluation.Tasks;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Tests.Evaluation.Tasks;

public sealed class EmbeddingTaskTests
{
    private static DataBatch Batch(int count, long[]? mask = null, int seq = 2) => new(
        mask is null ? [new BatchTensor("input_ids", ElementType.Int64, [count, seq], new long[count * seq])]
                     : [new BatchTensor("input_ids", ElementType.Int64, [count, seq], new long[count * seq]), new BatchTensor("attention_mask", ElementType.Int64, [count, seq], mask)],
        count, null);

    [Fact]
    public void A_sequence_output_is_mean_pooled_over_the_unmasked_positions()
    {
        // Sample 0: positions (1,2) and (3,4), both kept → (2,3). Sample 1: (5,6) kept, (100,100) masked → (5,6).
        var output = new OutputTensor("h", [2, 2, 2], [1, 2, 3, 4, 5, 6, 100, 100]);

        var pooled = EmbeddingTask.Pool(output, 2, Batch(2, [1, 1, 1, 0]).Inputs[1], "m");

        Assert.Equal([2f, 3f], pooled[0]);
        Assert.Equal([5f, 6f], pooled[1]);
    }

    [Fact]
    public void Cosine_mean_and_min_per_sample_against_the_reference()
    {
        var task = new EmbeddingTask();
        var model = new OutputTensor("e", [2, 2], [1, 0, 1, 1]);
        var reference = new OutputTensor("e", [2, 2], [1, 0, 0, 1]); // sample 0 identical (cos 1), sample 1 at 45° (cos 1/√2)

        task.Add(new TaskBatch(Batch(2), [model], [reference], "m", "r"));

        var metrics = task.Metrics().ToDictionary(m => m.Name);
        Assert.Equal((1 + (1 / Math.Sqrt(2))) / 2, metrics["embedding_cosine_mean"].Value, 9);
        Assert.Equal(1 / Math.Sqrt(2), metrics["embedding_cosine_min"].Value, 6);
        Assert.False(metrics["embedding_cosine_min"].LowerIsBetter);
    }

    [Fact]
    public void Neighbour_agreement_counts_samples_whose_nearest_neighbour_stays()
    {
        // a and b close, c far in the reference; in the model c moves next to a.
        float[][] reference = [[1, 0], [0.9f, 0.1f], [0, 1]];
        float[][] model = [[1, 0], [0, 1], [0.95f, 0.05f]];

        // reference nearest: a→b, b→a, c→b; model nearest: a→c, b→c, c→a: no sample keeps its neighbour.
        Assert.Equal(0, EmbeddingTask.NeighbourAgreement(model, reference));
        Assert.Equal(1, EmbeddingTask.NeighbourAgreement(reference, reference));
        Assert.Null(EmbeddingTask.NeighbourAgreement([[1f]], [[1f]]));
    }

    [Fact]
    public void Without_a_reference_there_is_nothing_to_compare_and_a_note_says_so()
    {
        var task = new EmbeddingTask();

        task.Add(new TaskBatch(Batch(1), [new OutputTensor("e", [1, 2], [1, 2])], null, "m", null));

        Assert.Empty(task.Metrics());
        Assert.Contains("--reference", Assert.Single(task.Notes()));
    }
}
