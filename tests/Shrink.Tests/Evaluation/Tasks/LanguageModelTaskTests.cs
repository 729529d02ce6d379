using Shrink.Data;
using Shrink.Evaluation.Tasks;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Tests.Evaluation.Tasks;

public sealed class LanguageModelTaskTests
{
    private static DataBatch Windows(long[] ids, int count, int length, long[]? mask = null)
    {
        var inputs = new List<BatchTensor> { new("input_ids", ElementType.Int64, [count, length], ids) };
        if (mask is not null) inputs.Add(new BatchTensor("attention_mask", ElementType.Int64, [count, length], mask));
        return new DataBatch(inputs, count, null);
    }

    // One window [2, 0, 1]: predictions at positions 0 and 1 over a vocabulary of 3, targets 0 and 1.
    private static readonly float[] Logits = [MathF.Log(2f), 0f, 0f, /* p(0) = 1/2 */ 0f, 0f, 0f /* p(1) = 1/3 */];

    [Fact]
    public void Perplexity_scores_each_position_against_the_next_token()
    {
        var task = new LanguageModelTask();

        task.Add(new TaskBatch(Windows([2, 0, 1], 1, 3), [new OutputTensor("logits", [1, 2, 3], Logits)], null, "m", null));

        var metrics = task.Metrics().ToDictionary(m => m.Name);
        double nll = (Math.Log(2) + Math.Log(3)) / 2;
        Assert.Equal(nll, metrics["nll"].Value, 6);
        Assert.Equal(Math.Sqrt(6), metrics["perplexity"].Value, 6);
        Assert.True(metrics["perplexity"].LowerIsBetter);
        Assert.Null(metrics["perplexity"].ReferenceValue);
        Assert.False(metrics.ContainsKey("perplexity_increase"));
    }

    [Fact]
    public void With_a_reference_both_perplexities_and_the_relative_increase()
    {
        var task = new LanguageModelTask();
        float[] uniform = new float[6]; // NLL ln 3 at both positions: ppl 3

        task.Add(new TaskBatch(Windows([2, 0, 1], 1, 3), [new OutputTensor("logits", [1, 2, 3], uniform)], [new OutputTensor("logits", [1, 2, 3], Logits)], "m", "r"));

        var metrics = task.Metrics().ToDictionary(m => m.Name);
        Assert.Equal(3, metrics["perplexity"].Value, 6);
        Assert.Equal(Math.Sqrt(6), metrics["perplexity"].ReferenceValue!.Value, 6);
        Assert.Equal((3 / Math.Sqrt(6)) - 1, metrics["perplexity_increase"].Value, 6);
    }

    [Fact]
    public void Positions_whose_target_is_masked_are_skipped()
    {
        var ppl = new PerplexityAccumulator();

        LanguageModelTask.Score(ppl, Windows([2, 0, 1], 1, 3, mask: [1, 1, 0]), [new OutputTensor("logits", [1, 2, 3], Logits)], "m");

        Assert.Equal(1, ppl.Count);
        Assert.Equal(Math.Log(2), ppl.MeanNll, 6);
    }

    [Fact]
    public void The_model_batch_drops_the_last_token_of_each_window()
    {
        var task = new LanguageModelTask();

        var batch = task.ModelBatch(Windows([1, 2, 3, 4, 5, 6], 2, 3));

        Assert.Equal([2L, 2L], batch.Inputs[0].Shape);
        Assert.Equal([1L, 2L, 4L, 5L], (long[])batch.Inputs[0].Data);
    }

    [Fact]
    public void A_token_outside_the_vocabulary_is_refused_with_its_position()
    {
        var task = new LanguageModelTask();

        var error = Assert.Throws<ShrinkException>(() => task.Add(new TaskBatch(Windows([2, 0, 7], 1, 3), [new OutputTensor("logits", [1, 2, 3], Logits)], null, "m.onnx", null)));

        Assert.Contains("token 7 at position 2 of window 0", error.Message);
        Assert.Contains("m.onnx", error.Message);
    }

    [Fact]
    public void An_output_without_the_shape_of_logits_is_refused_naming_the_outputs()
    {
        var task = new LanguageModelTask();

        var error = Assert.Throws<ShrinkException>(() => task.Add(new TaskBatch(Windows([2, 0, 1], 1, 3), [new OutputTensor("y", [1, 3], new float[3])], null, "m.onnx", null)));

        Assert.Contains("'y' [1,3]", error.Message);
        Assert.Contains("[1,2,vocab]", error.Message);
    }
}
