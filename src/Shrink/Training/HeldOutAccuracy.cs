using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Training;

/// <summary>Top-1 accuracy of a classifier's first output on labelled data: the per-epoch metric of a fine-tuning run.</summary>
public static class HeldOutAccuracy
{
    /// <summary>The fraction of samples (the first <paramref name="limit"/> when given) whose arg-max over the last axis of the first output equals the label.</summary>
    /// <exception cref="ShrinkException">The data has no labels, or the output is not one row of class scores per sample.</exception>
    public static double Measure(OnnxModel model, IDataSource data, int batchSize = 256, int threads = 1, long? limit = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (!data.HasLabels) throw new ShrinkException($"{data.Description}: accuracy needs labels.");
        using var session = ModelSession.Open(model, new RuntimeOptions { IntraOpThreads = threads });
        var source = FixedBatchDataSource.ForModel(data, session.Inputs);
        long correct = 0, total = 0;
        foreach (var read in source.ReadBatches(batchSize, limit))
        {
            var output = session.Run(read)[0];
            long classes = output.Shape.Length == 0 ? 0 : output.Shape[^1];
            int real = Math.Min(read.Count, read.Labels!.Length);
            if (classes <= 0 || output.Data.Length != read.Count * classes)
                throw new ShrinkException($"{model.Name}: output '{output.Name}' of shape [{string.Join(",", output.Shape)}] is not one row of class scores per sample.");
            for (int i = 0; i < real; i++)
            {
                var row = output.Data.AsSpan((int)(i * classes), (int)classes);
                int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
                if (best == read.Labels[i]) correct++;
                total++;
            }
        }
        return total == 0 ? double.NaN : (double)correct / total;
    }
}
