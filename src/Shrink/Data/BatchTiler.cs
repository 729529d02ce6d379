
namespace Shrink.Data;

/// <summary>Builds a batch of exactly N samples from a smaller or larger one by repeating or truncating samples.</summary>
public static class BatchTiler
{
    /// <summary>A batch of <paramref name="size"/> samples cycling through those of <paramref name="batch"/>.</summary>
    public static DataBatch Tile(DataBatch batch, int size)
    {
        if (batch.Count == size) return batch;
        if (batch.Count == 0) throw new ShrinkException("Cannot build a timing batch from an empty data set.");
        var inputs = batch.Inputs.Select(t =>
        {
            int per = t.Data.Length / batch.Count;
            var data = Array.CreateInstance(t.Data.GetType().GetElementType()!, (long)per * size);
            for (int i = 0; i < size; i++)
                Array.Copy(t.Data, (long)(i % batch.Count) * per, data, (long)i * per, per);
            var shape = (long[])t.Shape.Clone();
            shape[0] = size;
            return new BatchTensor(t.Name, t.Type, shape, data);
        }).ToArray();
        int[]? labels = batch.Labels is null ? null : Enumerable.Range(0, size).Select(i => batch.Labels[i % batch.Count]).ToArray();
        return new DataBatch(inputs, size, labels);
    }
}
