using Shrink.Data;

namespace Shrink.Measures;

/// <summary>
/// The loss of a classifier's first output on a fixed calibration set, accumulated in double: cross-entropy against
/// labels, or KL divergence KL(p_ref ‖ p) from cached reference probabilities (the float model's). The output may be
/// logits (log-softmax is applied) or probabilities (detected on the reference outputs: non-negative rows summing to 1).
/// One value per sample (a sigmoid or a single logit, where a softmax over one class is always 1 and its KL always 0)
/// takes binary cross-entropy instead, against the 0/1 labels or the float model's probability; the value is a
/// probability when every reference value lies in [0, 1], otherwise a logit. A language model's logits
/// [batch, seq, vocab] take <c>kl-token</c>: the KL divergence from the float model's next-token distribution at every
/// position (a softmax over the vocabulary, never over the whole sequence), averaged over the positions of a sample.
/// </summary>
public sealed class CalibrationLoss
{
    private readonly List<double[]> _referenceLogProbs = [];
    private readonly List<int[]?> _labels = [];
    private readonly List<double[]> _referenceProbabilities = [];
    private readonly List<int> _rowsPerSample = [];
    private int _classes;

    private CalibrationLoss(string name) => Name = name;

    /// <summary><c>ce</c>, <c>kl</c>, <c>bce</c> for one output value per sample, or <c>kl-token</c> per position of a language model.</summary>
    public string Name { get; }

    /// <summary>Whether the model's output holds probabilities rather than logits.</summary>
    public bool OutputsProbabilities { get; private set; }

    /// <summary>
    /// Builds the loss from the reference model's first output on each batch (<paramref name="referenceOutputs"/>, one
    /// array per batch, rows of classes). <paramref name="useLabels"/> picks cross-entropy (every batch needs labels).
    /// </summary>
    public static CalibrationLoss Create(IReadOnlyList<DataBatch> batches, IReadOnlyList<float[]> referenceOutputs, bool useLabels)
    {
        if (batches.Count == 0) throw new ShrinkException("Empty calibration data.");
        int classes = referenceOutputs[0].Length / batches[0].Count;
        var loss = new CalibrationLoss(classes == 1 ? "bce" : useLabels ? "ce" : "kl") { _classes = classes };
        if (loss._classes <= 0 || referenceOutputs[0].Length != (long)batches[0].Count * loss._classes)
            throw new ShrinkException($"The model's first output ({referenceOutputs[0].Length} values for {batches[0].Count} samples) is not one row of class scores per sample.");
        loss.OutputsProbabilities = classes == 1
            ? referenceOutputs.All(o => o.All(v => v >= 0 && v <= 1))
            : referenceOutputs.All(o => LooksLikeProbabilities(o, loss._classes));
        if (classes == 1)
        {
            for (int b = 0; b < batches.Count; b++)
            {
                if (useLabels && batches[b].Labels is null) throw new ShrinkException("Cross-entropy needs labels for every calibration sample.");
                if (useLabels && batches[b].Labels!.FirstOrDefault(y => y is not (0 or 1), -1) is int bad && bad >= 0)
                    throw new ShrinkException($"The model has one output value per sample (binary), but a calibration label is {bad}; binary cross-entropy needs labels 0 or 1.");
                loss._labels.Add(useLabels ? batches[b].Labels : null);
                loss._referenceProbabilities.Add(useLabels ? [] : referenceOutputs[b].Select(v => loss.Probability(v)).ToArray());
            }
            return loss;
        }
        for (int b = 0; b < batches.Count; b++)
        {
            if (useLabels && batches[b].Labels is null) throw new ShrinkException("Cross-entropy needs labels for every calibration sample.");
            loss._labels.Add(useLabels ? batches[b].Labels : null);
            loss._referenceLogProbs.Add(useLabels ? [] : loss.LogProbabilities(referenceOutputs[b]));
        }
        return loss;
    }

    /// <summary>
    /// The loss of a language model: <paramref name="referenceOutputs"/> are the float model's logits [batch, seq,
    /// <paramref name="vocabulary"/>] per batch; the loss of a sample is the mean over its positions of
    /// KL(p_float ‖ p) between the next-token distributions (labels are not used: the targets are the float model's).
    /// </summary>
    public static CalibrationLoss ForTokens(IReadOnlyList<DataBatch> batches, IReadOnlyList<float[]> referenceOutputs, int vocabulary)
    {
        if (batches.Count == 0) throw new ShrinkException("Empty calibration data.");
        if (vocabulary <= 1) throw new ShrinkException($"A language model's logits need a vocabulary of at least 2, not {vocabulary}.");
        var loss = new CalibrationLoss("kl-token") { _classes = vocabulary };
        for (int b = 0; b < batches.Count; b++)
        {
            long perSample = (long)batches[b].Count * vocabulary;
            if (referenceOutputs[b].Length == 0 || referenceOutputs[b].Length % perSample != 0)
                throw new ShrinkException($"The model's logits ({referenceOutputs[b].Length} values for {batches[b].Count} samples) are not rows of {vocabulary} next-token scores per position.");
            loss._rowsPerSample.Add((int)(referenceOutputs[b].Length / perSample));
        }
        loss.OutputsProbabilities = referenceOutputs.All(o => LooksLikeProbabilities(o, vocabulary));
        foreach (var output in referenceOutputs)
        {
            loss._labels.Add(null);
            loss._referenceLogProbs.Add(loss.LogProbabilities(output));
        }
        return loss;
    }

    /// <summary>The loss summed over the samples of batch <paramref name="batch"/> (in the order it was created with), given the model's output there.</summary>
    public double BatchSum(int batch, ReadOnlySpan<float> output)
    {
        if (_classes == 1) return BinarySum(batch, output);
        int c = _classes, rows = output.Length / c;
        var logp = LogProbabilities(output);
        double sum = 0;
        if (_labels[batch] is int[] labels)
        {
            for (int r = 0; r < rows; r++) sum -= logp[r * c + labels[r]];
            return sum;
        }
        var reference = _referenceLogProbs[batch];
        for (int i = 0; i < logp.Length; i++)
        {
            double lr = reference[i];
            if (lr > double.NegativeInfinity) sum += Math.Exp(lr) * (lr - logp[i]);
        }
        return _rowsPerSample.Count > 0 ? sum / _rowsPerSample[batch] : sum;
    }

    // −[t·log p + (1 − t)·log(1 − p)] per sample, t the label or the float model's probability.
    private double BinarySum(int batch, ReadOnlySpan<float> output)
    {
        var labels = _labels[batch];
        var reference = _referenceProbabilities[batch];
        double sum = 0;
        for (int r = 0; r < output.Length; r++)
        {
            double t = labels is not null ? labels[r] : reference[r];
            double logP, logQ; // log p, log(1 − p)
            if (OutputsProbabilities)
            {
                double p = Math.Clamp((double)output[r], 1e-12, 1 - 1e-12);
                (logP, logQ) = (Math.Log(p), Math.Log(1 - p));
            }
            else
            {
                double z = output[r];
                (logP, logQ) = (-Softplus(-z), -Softplus(z));
            }
            sum -= t * logP + (1 - t) * logQ;
        }
        return sum;
    }

    private double Probability(float value) => OutputsProbabilities ? Math.Clamp(value, 0, 1) : 1 / (1 + Math.Exp(-value));

    // log(1 + e^x) without overflow.
    private static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

    private double[] LogProbabilities(ReadOnlySpan<float> output)
    {
        int c = _classes, rows = output.Length / c;
        var result = new double[output.Length];
        for (int r = 0; r < rows; r++)
        {
            var row = output.Slice(r * c, c);
            if (OutputsProbabilities)
            {
                for (int k = 0; k < c; k++) result[r * c + k] = Math.Log(Math.Max(row[k], 1e-30));
                continue;
            }
            double max = double.NegativeInfinity;
            for (int k = 0; k < c; k++) max = Math.Max(max, row[k]);
            double z = 0;
            for (int k = 0; k < c; k++) z += Math.Exp(row[k] - max);
            double logZ = max + Math.Log(z);
            for (int k = 0; k < c; k++) result[r * c + k] = row[k] - logZ;
        }
        return result;
    }

    private static bool LooksLikeProbabilities(float[] output, int classes)
    {
        for (int r = 0; r < output.Length / classes; r++)
        {
            double sum = 0;
            for (int k = 0; k < classes; k++)
            {
                float v = output[r * classes + k];
                if (v < 0) return false;
                sum += v;
            }
            if (Math.Abs(sum - 1) > 1e-3) return false;
        }
        return true;
    }
}
