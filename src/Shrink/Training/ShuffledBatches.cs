using Shrink.Data;

namespace Shrink.Training;

/// <summary>
/// Mini-batches drawn in a seeded random order from a data source read front to back: up to a buffer of samples is
/// read, its order permuted, and it is cut into batches; then the next buffer. Memory stays bounded by the buffer, and
/// the same seed, epoch and data give the same batches.
/// </summary>
public static class ShuffledBatches
{
    /// <summary>
    /// Batches of <paramref name="batchSize"/> samples (the last of the pass may be smaller) from
    /// <paramref name="source"/>, at most <paramref name="limit"/> samples, shuffled within buffers of
    /// <paramref name="bufferSamples"/> samples by a generator seeded with <paramref name="seed"/>.
    /// </summary>
    public static IEnumerable<DataBatch> Read(IDataSource source, int batchSize, int bufferSamples, int seed, long? limit = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSamples, 1);
        var random = new Random(seed);
        var buffer = new List<DataBatch>();
        int held = 0;
        int readSize = Math.Clamp(Math.Min(bufferSamples, 1024), 1, int.MaxValue);
        foreach (var read in source.ReadBatches(readSize, limit))
        {
            if (read.Count == 0) continue;
            buffer.Add(read);
            held += read.Count;
            if (held < bufferSamples) continue;
            foreach (var b in Cut(buffer, held, batchSize, random)) yield return b;
            buffer.Clear();
            held = 0;
        }
        if (held > 0)
            foreach (var b in Cut(buffer, held, batchSize, random)) yield return b;
    }

    private static IEnumerable<DataBatch> Cut(List<DataBatch> buffer, int held, int batchSize, Random random)
    {
        // (batch, row) of every held sample, permuted by Fisher–Yates.
        var rows = new (int Batch, int Row)[held];
        int k = 0;
        for (int b = 0; b < buffer.Count; b++)
            for (int r = 0; r < buffer[b].Count; r++) rows[k++] = (b, r);
        random.Shuffle(rows);
        for (int start = 0; start < held; start += batchSize)
            yield return Gather(buffer, rows.AsSpan(start, Math.Min(batchSize, held - start)));
    }

    /// <summary>A batch of the given rows, copied out of their batches along each tensor's batch axis.</summary>
    internal static DataBatch Gather(IReadOnlyList<DataBatch> batches, ReadOnlySpan<(int Batch, int Row)> rows)
    {
        var first = batches[rows[0].Batch];
        int n = rows.Length;
        var inputs = new BatchTensor[first.Inputs.Count];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = first.Inputs[i];
            if (t.BatchAxis < 0) { inputs[i] = t; continue; }
            long outer = 1, inner = 1;
            for (int a = 0; a < t.BatchAxis; a++) outer *= t.Shape[a];
            for (int a = t.BatchAxis + 1; a < t.Shape.Length; a++) inner *= t.Shape[a];
            var data = Array.CreateInstance(t.Data.GetType().GetElementType()!, checked(outer * n * inner));
            for (int j = 0; j < n; j++)
            {
                var (b, r) = rows[j];
                var source = batches[b].Inputs[i];
                if (source.Name != t.Name || source.Shape.Length != t.Shape.Length)
                    throw new ShrinkException($"The data's batches disagree: input '{t.Name}' changes shape or order between batches; training needs samples of one shape.");
                for (int a = 0; a < t.Shape.Length; a++)
                    if (a != t.BatchAxis && source.Shape[a] != t.Shape[a])
                        throw new ShrinkException($"The data's samples of input '{t.Name}' differ in shape ([{string.Join(",", source.Shape)}] vs [{string.Join(",", t.Shape)}]); training batches need one shape.");
                long count = batches[b].Count;
                for (long o = 0; o < outer; o++)
                    Array.Copy(source.Data, (o * count + r) * inner, data, (o * n + j) * inner, inner);
            }
            var shape = (long[])t.Shape.Clone();
            shape[t.BatchAxis] = n;
            inputs[i] = new BatchTensor(t.Name, t.Type, shape, data, t.BatchAxis);
        }
        int[]? labels = null;
        if (first.Labels is not null)
        {
            labels = new int[n];
            for (int j = 0; j < n; j++)
                labels[j] = batches[rows[j].Batch].Labels is { } l ? l[rows[j].Row] : throw new ShrinkException("The data gives labels for some batches and not others.");
        }
        return new DataBatch(inputs, n, labels);
    }
}
