namespace Shrink.Evaluation.Tasks;

/// <summary>
/// Next-token negative log-likelihood, summed over predictions in double: each row of logits is log-softmaxed in double
/// (max-shifted) and the target's log-probability taken. Perplexity = exp(mean NLL).
/// </summary>
public sealed class PerplexityAccumulator
{
    private double _nll;
    private long _count, _correct;

    /// <summary>Predictions added.</summary>
    public long Count => _count;

    /// <summary>Mean NLL in nats (0 when nothing was added).</summary>
    public double MeanNll => _count == 0 ? 0 : _nll / _count;

    /// <summary>exp(mean NLL).</summary>
    public double Perplexity => Math.Exp(MeanNll);

    /// <summary>Share of predictions whose arg-max is the target.</summary>
    public double Accuracy => _count == 0 ? 0 : (double)_correct / _count;

    /// <summary>Adds one prediction: the logits over the vocabulary and the target id (checked to lie in it by the caller).</summary>
    public void Add(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        int best = 0;
        for (int v = 0; v < logits.Length; v++)
            if (logits[v] > max) { max = logits[v]; best = v; }
        double sum = 0;
        for (int v = 0; v < logits.Length; v++) sum += Math.Exp(logits[v] - max);
        _nll += max + Math.Log(sum) - logits[target];
        if (best == target) _correct++;
        _count++;
    }
}
