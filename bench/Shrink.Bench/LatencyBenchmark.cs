using System.Diagnostics;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>ONNX Runtime fp32 latency through <see cref="ModelSession"/> and <see cref="LatencyMeter"/>, one intra-op thread.</summary>
internal static class LatencyBenchmark
{
    public const int Threads = 1;

    /// <summary>Opens <paramref name="modelPath"/> once and times each batch in turn; returns the rows and the session-creation time.</summary>
    public static (IReadOnlyList<LatencyRow> Rows, double SessionSeconds) Run(
        string modelName, string modelPath, IReadOnlyList<(string Label, DataBatch Batch)> batches, LatencyMeter meter)
    {
        var sw = Stopwatch.StartNew();
        using var session = ModelSession.Open(modelPath, new RuntimeOptions { IntraOpThreads = Threads });
        double sessionSeconds = sw.Elapsed.TotalSeconds;
        var rows = new List<LatencyRow>();
        foreach (var (label, batch) in batches)
        {
            using var inputs = session.Prepare(batch);
            // One checked run first: the outputs must have the expected shapes and hold finite numbers.
            var outputs = session.Run(inputs);
            string shapes = string.Join(", ", outputs.Select(o => $"{o.Name} [{string.Join(",", o.Shape)}]"));
            bool finite = outputs.All(o => o.Data.All(float.IsFinite));
            var stats = meter.Measure(batch.Count, [(session, inputs)])[0];
            rows.Add(new LatencyRow(modelName, label, stats, Threads, shapes, finite));
            Console.WriteLine($"  {modelName} {label}: median {stats.MedianMs:F1} ms, p90 {stats.P90Ms:F1} ms over {stats.Runs} runs");
        }
        return (rows, sessionSeconds);
    }

    public static DataBatch ImageBatch(string inputName, int batch, ulong seed)
    {
        var data = new float[batch * 3 * 224 * 224];
        new WeightFiller(seed).FillUniform(data, 1f);
        return new DataBatch([new BatchTensor(inputName, Model.ElementType.Float, [batch, 3, 224, 224], data)], batch, null);
    }

    public static DataBatch TokenBatch(string inputName, int batch, int sequence, long vocabulary, ulong seed)
    {
        var rng = new WeightFiller(seed);
        var ids = new long[batch * sequence];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextLong(vocabulary);
        return new DataBatch([new BatchTensor(inputName, Model.ElementType.Int64, [batch, sequence], ids)], batch, null);
    }
}
