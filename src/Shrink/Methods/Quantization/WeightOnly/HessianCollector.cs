using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// Runs a model over calibration data with the layers' inputs exposed as extra outputs and streams each batch into the
/// layers' <see cref="LayerHessian"/>s (several layers reading one value share the run). The model is not modified.
/// </summary>
public static class HessianCollector
{
    /// <summary>
    /// Fills <paramref name="hessians"/> from up to <paramref name="samples"/> samples of <paramref name="data"/>. With
    /// <paramref name="floatModel"/>, each layer's input is also computed by that model on the same batch, and the pair
    /// accumulates <see cref="LayerHessian.Cross"/> (inputs that are graph inputs are the same in both and skip it).
    /// </summary>
    public static void Collect(
        OnnxModel model, IReadOnlyList<LayerHessian> hessians, IDataSource data, long samples, int batchSize, OnnxModel? floatModel = null)
    {
        var byInput = hessians.GroupBy(h => h.Layer.Input, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var graphInputs = new HashSet<string>(model.Graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        var outputs = byInput.Keys.Where(n => !graphInputs.Contains(n)).ToArray();
        // The batch stays as given: sequential GPTQ reads an in-memory copy of the data held in batches of that size.
        long seen = 0;
        // The session computes only what the exposed values need: the layers after them are not run.
        using var session = outputs.Length == 0 ? null : ModelSession.Open(model.WithOnlyOutputs(outputs), new RuntimeOptions { Optimize = false });
        using var floatSession = floatModel is null || outputs.Length == 0 ? null : ModelSession.Open(floatModel.WithOnlyOutputs(outputs), new RuntimeOptions { Optimize = false });
        var floatValues = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var batch in data.ReadBatches(batchSize, samples))
        {
            foreach (var input in batch.Inputs)
                if (byInput.TryGetValue(input.Name, out var list) && input.Data is float[] values)
                    foreach (var h in list) h.Add(values, input.Shape);
            if (session is not null)
            {
                if (floatSession is not null)
                {
                    using var floatPrepared = floatSession.Prepare(batch);
                    floatSession.RunVisit(floatPrepared, outputs, (name, values, _) =>
                    {
                        // Reused from batch to batch (the last batch may be shorter).
                        if (!floatValues.TryGetValue(name, out var copy) || copy.Length != values.Length) floatValues[name] = copy = new float[values.Length];
                        values.CopyTo(copy);
                    });
                }
                using var prepared = session.Prepare(batch);
                session.RunVisit(prepared, outputs, (name, values, shape) =>
                {
                    var reference = floatValues.GetValueOrDefault(name);
                    foreach (var h in byInput[name]) h.Add(values, shape, reference);
                });
            }
            seen += batch.Count;
        }
        if (seen == 0) throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var empty = hessians.FirstOrDefault(h => h.Rows == 0);
        if (empty is not null)
            throw new ShrinkException($"'{empty.Layer.Name}': calibration saw no float values for its input '{empty.Layer.Input}'.");
    }
}
