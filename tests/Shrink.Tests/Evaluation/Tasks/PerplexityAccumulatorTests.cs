using Shrink.Evaluation.Tasks;

namespace Shrink.Tests.Evaluation.Tasks;

public sealed class PerplexityAccumulatorTests
{
    [Fact]
    public void Nll_is_the_log_softmax_of_the_target_and_perplexity_its_exponential_mean()
    {
        var ppl = new PerplexityAccumulator();

        ppl.Add([0f, 0f, 0f, 0f], 1);              // uniform over 4: NLL ln 4
        ppl.Add([MathF.Log(3f), 0f], 0);           // p = 3/4: NLL ln 4/3

        double expected = (Math.Log(4) + Math.Log(4.0 / 3)) / 2;
        Assert.Equal(2, ppl.Count);
        Assert.Equal(expected, ppl.MeanNll, 6);
        Assert.Equal(Math.Sqrt(16.0 / 3), ppl.Perplexity, 6);
        Assert.Equal(0.5, ppl.Accuracy);             // the uniform row's arg-max is class 0, not the target 1
    }

    [Fact]
    public void Large_logits_do_not_overflow()
    {
        var ppl = new PerplexityAccumulator();

        ppl.Add([1000f, 1000f], 0);

        Assert.Equal(Math.Log(2), ppl.MeanNll, 9);
    }
}
