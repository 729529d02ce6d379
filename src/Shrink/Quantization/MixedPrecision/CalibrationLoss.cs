using Shrink.Data;

namespace Shrink.Quantization.MixedPrecision;

/// <summary>
/// The loss of a classifier's first output on a fixed calibration set, accumulated in double: cross-entropy against
/// labels, or KL divergence KL(p_ref ‖ p) from cached reference probabilities (the float model's). The output may be
/// logits (log-softmax is applied) or probabilities (detected on the reference outputs: non-negative rows summing to 1).
/// </summary>
public sealed class CalibrationLoss
{
    private readonly List<double[]> _referenceLogProbs = [];
    private readonly List<int[]?> _labels = [];
    private int _classes;

    private CalibrationLoss(string name) => Name = name;

    /// <summary><c>ce</c> or <c>kl</c>.</summary>
    public string Name { get; }

    /// <summary>Whether the model's output holds probabilities rather than logits.</summary>
    public bool OutputsProbabilities { get; private set; }

    /// <summary>
    /// Builds the loss from the reference model's first output on each batch (<paramref name="referenceOutputs"/>, one
    /// array per batch, rows of classes). <paramref name="useLabels"/> picks cross-entropy (every batch needs labels).
    /// </summary>
    public static CalibrationLoss Create(IReadOnlyList<DataBatch> batches, IReadOnlyList<float[]> referenceOutputs, bool useLabels)
    {
        var loss = new CalibrationLoss(useLabels ? "ce" : "kl");
        if (batches.Count == 0) throw new ShrinkException("Empty calibration data.");
        loss._classes = referenceOutputs[0].Length / batches[0].Count;
        if (loss._classes <= 0 || referenceOutputs[0].Length != (long)batches[0].Count * loss._classes)
            throw new ShrinkException($"The model's first output ({referenceOutputs[0].Length} values for {batches[0].Count} samples) is not one row of class scores per sample.");
        loss.OutputsProbabilities = referenceOutputs.All(o => LooksLikeProbabilities(o, loss._classes));
        for (int b = 0; b < batches.Count; b++)
        {
            if (useLabels && batches[b].Labels is null) throw new ShrinkException("Cross-entropy needs labels for every calibration sample.");
            loss._labels.Add(useLabels ? batches[b].Labels : null);
            loss._referenceLogProbs.Add(useLabels ? [] : loss.LogProbabilities(referenceOutputs[b]));
        }
        return loss;
    }

    /// <summary>The loss summed over the samples of batch <paramref name="batch"/> (in the order it was created with), given the model's output there.</summary>
    public double BatchSum(int batch, ReadOnlySpan<float> output)
    {
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
        return sum;
    }

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
