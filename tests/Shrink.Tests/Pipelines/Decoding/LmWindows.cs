using Shrink.Data;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using OutputTensor = Shrink.Runtime.OutputTensor;

namespace Shrink.Tests.Pipelines.Decoding;

/// <summary>The token windows of the shared LM models and the perplexity of scores over them, as the shared README defines it.</summary>
internal static class LmWindows
{
    public static string SharedPath(string name) => Path.Combine(RepoPaths.SharedModels, name);

    /// <summary>The first <paramref name="count"/> windows of <paramref name="file"/> (int64 [512,129]) as [count, 129].</summary>
    public static DataBatch Read(string file, int count)
    {
        using var source = new IntegerNpyDataSource(SharedPath(file), new ModelInputSpec("input_ids", ElementType.Int64, [null, null], ["batch", "seq"]));
        return source.ReadBatches(count, count).Single();
    }

    /// <summary>Columns [0, length) of the windows: the model's input (window[:128] for the 129-token windows).</summary>
    public static DataBatch Inputs(DataBatch windows, int length)
    {
        var t = windows.Inputs[0];
        int n = (int)t.Shape[0], width = (int)t.Shape[1];
        var data = new long[n * length];
        for (int s = 0; s < n; s++) Array.Copy((long[])t.Data, s * width, data, s * length, length);
        return new DataBatch([new BatchTensor(t.Name, ElementType.Int64, [n, length], data)], n, null);
    }

    /// <summary>Summed NLL (nats) of the next-token predictions: logits [n, L, V] at position i predict window[i + 1].</summary>
    public static (double Nll, long Count) NextTokenNll(OutputTensor logits, DataBatch windows)
    {
        var ids = (long[])windows.Inputs[0].Data;
        int n = (int)logits.Shape[0], length = (int)logits.Shape[1], vocab = (int)logits.Shape[2];
        int width = (int)windows.Inputs[0].Shape[1];
        double nll = 0;
        long count = 0;
        for (int s = 0; s < n; s++)
            for (int i = 0; i < length && i + 1 < width; i++)
            {
                var row = logits.Data.AsSpan((s * length + i) * vocab, vocab);
                float max = float.NegativeInfinity;
                foreach (float v in row) max = Math.Max(max, v);
                double sum = 0;
                foreach (float v in row) sum += Math.Exp(v - max);
                nll += max + Math.Log(sum) - row[(int)ids[s * width + i + 1]];
                count++;
            }
        return (nll, count);
    }

    public static double MaxAbsDiff(float[] a, float[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
