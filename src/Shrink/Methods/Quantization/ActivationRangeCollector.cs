using Shrink.Calibration;
using Shrink.Data;
using Shrink.Model;
using Shrink.Statistics;

namespace Shrink.Methods.Quantization;

/// <summary>
/// Runs the float model over calibration data with the requested tensors exposed as extra outputs, and streams
/// each batch's values into one calibrator per tensor (a <see cref="RangeRequest"/> run by the
/// <see cref="StatisticsRunner"/>). Activations are never stored, and the batch size is chosen from the measured bytes
/// of one sample so that one batch of exposed activations fits the memory budget; when even one sample does not fit,
/// the tensors are observed in several passes over the data. The model is not modified.
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
        var request = new RangeRequest(tensors, method);
        var run = StatisticsRunner.Run(new StatisticsTap(model), [request], data, new StatisticsRunOptions
        {
            Samples = samples,
            BatchSize = batchSize,
            MemoryBudgetBytes = memoryBudget ?? MemoryBudget.DefaultBytes(),
            Planned = planned,
            Progress = progress,
            Stage = "calibration",
        });
        if (run.Samples == 0)
            throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var missing = request.Calibrators.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new ShrinkException($"Calibration saw no values for tensor(s) {string.Join(", ", missing.Take(5).Select(m => $"'{m}'"))}; they may not be float tensors.");
        return request.Calibrators.ToDictionary(kv => kv.Key, kv => kv.Value.ComputeRange(target), StringComparer.Ordinal);
    }
}
