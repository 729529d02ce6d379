namespace Shrink.Data;

/// <summary>A batch of samples: one tensor per model input, and the labels when the source has them.</summary>
public sealed class DataBatch
{
    /// <summary>Creates a batch of <paramref name="count"/> samples.</summary>
    /// <exception cref="ArgumentException"><paramref name="labels"/> does not hold <paramref name="count"/> values.</exception>
    public DataBatch(IReadOnlyList<BatchTensor> inputs, int count, int[]? labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (labels is not null && labels.Length != count)
            throw new ArgumentException($"A batch of {count} samples needs {count} labels, not {labels.Length}.", nameof(labels));
        Inputs = inputs;
        Count = count;
        Labels = labels;
    }

    /// <summary>One tensor per model input, each with <see cref="Count"/> along its first axis.</summary>
    public IReadOnlyList<BatchTensor> Inputs { get; }

    /// <summary>Samples in this batch; the last batch of a pass may be smaller than the others.</summary>
    public int Count { get; }

    /// <summary>The class label of each sample, or null when the source has none.</summary>
    public int[]? Labels { get; }
}
