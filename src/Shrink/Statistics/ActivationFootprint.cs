using Shrink.Calibration;
using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Statistics;

/// <summary>
/// Measures what observing activations costs: runs one sample with the tensors exposed and sums their bytes, then
/// plans batch size and passes within a memory budget (<see cref="ActivationBatchPlan"/>).
/// </summary>
public static class ActivationFootprint
{
    /// <summary>Bytes per sample of each float tensor in <paramref name="outputs"/>, measured on <paramref name="session"/> with a one-sample batch.</summary>
    public static IReadOnlyList<(string Name, long Bytes)> Measure(ModelSession session, IReadOnlyList<string> outputs, DataBatch sample)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(sample);
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        if (outputs.Count == 0) return [];
        using var prepared = session.Prepare(sample);
        session.RunVisit(prepared, outputs, (name, values) => bytes[name] = (long)values.Length * sizeof(float) / Math.Max(1, sample.Count));
        return outputs.Select(o => (o, bytes.GetValueOrDefault(o))).ToArray();
    }

    /// <summary>Bytes per sample of a batch's inputs.</summary>
    public static long InputBytes(DataBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Inputs.Sum(i => (long)Buffer.ByteLength(i.Data)) / Math.Max(1, batch.Count);
    }

    /// <summary>
    /// Opens <paramref name="model"/> with <paramref name="outputs"/> exposed, measures them on <paramref name="sample"/>
    /// and plans within <paramref name="budgetBytes"/>; the session is returned when the plan is one pass (reuse it), else
    /// disposed. Inputs count twice (the data source's batch and its tiled copy).
    /// </summary>
    public static (ActivationBatchPlan Plan, ModelSession? Session) Plan(
        OnnxModel model, IReadOnlyList<string> outputs, DataBatch sample, int copies, long budgetBytes, int requestedBatch)
    {
        ArgumentNullException.ThrowIfNull(model);
        var session = ModelSession.Open(model.WithOutputs(outputs), new RuntimeOptions { Optimize = false, CpuMemoryArena = false });
        try
        {
            var sizes = Measure(session, outputs, sample);
            var plan = ActivationBatchPlan.Create(sizes, 2 * InputBytes(sample), copies, budgetBytes, requestedBatch);
            if (plan.Groups.Count == 1) return (plan, session);
            session.Dispose();
            return (plan, null);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }
}
