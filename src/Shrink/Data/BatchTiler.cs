
namespace Shrink.Data;

/// <summary>Builds a batch of exactly N samples from a smaller or larger one by repeating or truncating samples.</summary>
public static class BatchTiler
{
    /// <summary>A batch of <paramref name="size"/> samples cycling through those of <paramref name="batch"/>, along each tensor's batch axis.</summary>
    public static DataBatch Tile(DataBatch batch, int size)
    {
        if (batch.Count == size) return batch;
        if (batch.Count == 0) throw new ShrinkException("Cannot build a timing batch from an empty data set.");
        var inputs = batch.Inputs.Select(t =>
        {
            if (t.BatchAxis < 0) return t;
            long outer = 1, inner = 1;
            for (int k = 0; k < t.BatchAxis; k++) outer *= t.Shape[k];
            for (int k = t.BatchAxis + 1; k < t.Shape.Length; k++) inner *= t.Shape[k];
            var data = Array.CreateInstance(t.Data.GetType().GetElementType()!, checked(outer * size * inner));
            for (long o = 0; o < outer; o++)
                for (int i = 0; i < size; i++)
                    Array.Copy(t.Data, (o * batch.Count + i % batch.Count) * inner, data, (o * size + i) * inner, inner);
            var shape = (long[])t.Shape.Clone();
            shape[t.BatchAxis] = size;
            return new BatchTensor(t.Name, t.Type, shape, data, t.BatchAxis);
        }).ToArray();
        int[]? labels = batch.Labels is null ? null : Enumerable.Range(0, size).Select(i => batch.Labels[i % batch.Count]).ToArray();
        return new DataBatch(inputs, size, labels);
    }
}
