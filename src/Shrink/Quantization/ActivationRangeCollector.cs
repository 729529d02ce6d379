using Onnx;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Onnx;
using Shrink.Runtime;

namespace Shrink.Quantization;

/// <summary>
/// Runs the float model over calibration data with the requested tensors exposed as extra outputs, and streams
/// each batch's values into one calibrator per tensor. Activations are never stored: memory is bounded by one batch.
/// The model passed in is not modified.
/// </summary>
public static class ActivationRangeCollector
{
    /// <summary>Calibrates <paramref name="tensors"/>; returns one range per tensor for <paramref name="target"/>.</summary>
    public static IReadOnlyDictionary<string, CalibrationRange> Collect(
        OnnxModel model, IReadOnlyList<string> tensors, IDataSource data, ICalibrationMethod method, QuantTarget target,
        long samples, int batchSize, IProgress<ProgressInfo>? progress = null)
    {
        var calibrators = tensors.ToDictionary(t => t, method.Create, StringComparer.Ordinal);
        var graphInputs = new HashSet<string>(model.Graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        var augmented = model.Clone();
        var existing = new HashSet<string>(augmented.Proto.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var t in tensors)
            if (!graphInputs.Contains(t) && existing.Add(t))
                augmented.Proto.Graph.Output.Add(new ValueInfoProto { Name = t });
        var outputs = tensors.Where(t => !graphInputs.Contains(t)).ToArray();

        using var session = ModelSession.Open(OnnxModel.FromProto(augmented.Proto, model.Name), new RuntimeOptions { Optimize = false });
        long seen = 0;
        long? total = data.Count is long c ? Math.Min(c, samples) : samples;
        foreach (var batch in data.ReadBatches(batchSize, samples))
        {
            foreach (var input in batch.Inputs)
                if (calibrators.TryGetValue(input.Name, out var cal) && input.Data is float[] values) cal.Observe(values);
            using var prepared = session.Prepare(batch);
            session.RunVisit(prepared, outputs, (name, values) => calibrators[name].Observe(values));
            seen += batch.Count;
            progress?.Report(new ProgressInfo("calibration", seen, total));
        }
        if (seen == 0)
            throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var missing = calibrators.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new ShrinkException($"Calibration saw no values for tensor(s) {string.Join(", ", missing.Take(5).Select(m => $"'{m}'"))}; they may not be float tensors.");
        return calibrators.ToDictionary(kv => kv.Key, kv => kv.Value.ComputeRange(target), StringComparer.Ordinal);
    }
}
