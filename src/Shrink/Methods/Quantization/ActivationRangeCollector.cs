using Shrink.Calibration;
using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization;

/// <summary>
/// Runs the float model over calibration data with the requested tensors exposed as extra outputs, and streams
/// each batch's values into one calibrator per tensor. Activations are never stored, and the batch size is chosen
/// from the measured bytes of one sample so that one batch of exposed activations fits the memory budget; when even
/// one sample does not fit, the tensors are observed in several passes over the data. The model is not modified.
/// </summary>
public static class ActivationRangeCollector
{
    /// <summary>
    /// Calibrates <paramref name="tensors"/>; returns one range per tensor for <paramref name="target"/>.
    /// <paramref name="memoryBudget"/> (bytes; null: <see cref="MemoryBudget.DefaultBytes"/>) bounds one batch of
    /// exposed activations; <paramref name="planned"/> receives the batch plan chosen.
    /// </summary>
    public static IReadOnlyDictionary<string, CalibrationRange> Collect(
        OnnxModel model, IReadOnlyList<string> tensors, IDataSource data, ICalibrationMethod method, QuantTarget target,
        long samples, int batchSize, IProgress<ProgressInfo>? progress = null, long? memoryBudget = null, Action<ActivationBatchPlan>? planned = null)
    {
        var calibrators = tensors.Distinct(StringComparer.Ordinal).ToDictionary(t => t, method.Create, StringComparer.Ordinal);
        var graphInputs = new HashSet<string>(model.Graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        var outputs = calibrators.Keys.Where(t => !graphInputs.Contains(t)).ToArray();
        var one = data.ReadBatches(1, 1).FirstOrDefault() ?? throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var (plan, session) = ActivationFootprint.Plan(model, outputs, one, copies: 1, memoryBudget ?? MemoryBudget.DefaultBytes(), batchSize);
        planned?.Invoke(plan);

        long seen = 0;
        long limit = data.Count is long c ? Math.Min(c, samples) : samples;
        long total = limit * plan.Groups.Count;
        for (int g = 0; g < plan.Groups.Count; g++)
        {
            var group = plan.Groups[g];
            using var pass = session ?? ModelSession.Open(ActivationFootprint.Expose(model, group), new RuntimeOptions { Optimize = false });
            session = null;
            foreach (var batch in data.ReadBatches(plan.BatchSize, samples))
            {
                if (g == 0)
                    foreach (var input in batch.Inputs)
                        if (calibrators.TryGetValue(input.Name, out var cal) && input.Data is float[] values) cal.Observe(values);
                using var prepared = pass.Prepare(batch);
                pass.RunVisit(prepared, group, (name, values) => calibrators[name].Observe(values));
                seen += batch.Count;
                progress?.Report(new ProgressInfo("calibration", seen, total));
            }
        }
        if (seen == 0)
            throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var missing = calibrators.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new ShrinkException($"Calibration saw no values for tensor(s) {string.Join(", ", missing.Take(5).Select(m => $"'{m}'"))}; they may not be float tensors.");
        return calibrators.ToDictionary(kv => kv.Key, kv => kv.Value.ComputeRange(target), StringComparer.Ordinal);
    }
}
