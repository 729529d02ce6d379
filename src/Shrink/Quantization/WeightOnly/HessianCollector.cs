using Onnx;
using Shrink.Data;
using Shrink.Onnx;
using Shrink.Runtime;

namespace Shrink.Quantization.WeightOnly;

/// <summary>
/// Runs a model over calibration data with the layers' inputs exposed as extra outputs and streams each batch into the
/// layers' <see cref="LayerHessian"/>s (several layers reading one value share the run). The model is not modified.
/// </summary>
public static class HessianCollector
{
    /// <summary>Fills <paramref name="hessians"/> from up to <paramref name="samples"/> samples of <paramref name="data"/>.</summary>
    public static void Collect(OnnxModel model, IReadOnlyList<LayerHessian> hessians, IDataSource data, long samples, int batchSize)
    {
        var byInput = hessians.GroupBy(h => h.Layer.Input, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var graphInputs = new HashSet<string>(model.Graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        var augmented = model.Clone();
        var existing = new HashSet<string>(augmented.Proto.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var name in byInput.Keys)
            if (!graphInputs.Contains(name) && existing.Add(name)) augmented.Proto.Graph.Output.Add(new ValueInfoProto { Name = name });
        var outputs = byInput.Keys.Where(n => !graphInputs.Contains(n)).ToArray();

        using var session = ModelSession.Open(OnnxModel.FromProto(augmented.Proto, model.Name), new RuntimeOptions { Optimize = false });
        long seen = 0;
        foreach (var batch in data.ReadBatches(batchSize, samples))
        {
            foreach (var input in batch.Inputs)
                if (byInput.TryGetValue(input.Name, out var list) && input.Data is float[] values)
                    foreach (var h in list) h.Add(values, input.Shape);
            if (outputs.Length > 0)
            {
                using var prepared = session.Prepare(batch);
                session.RunVisit(prepared, outputs, (name, values, shape) =>
                {
                    foreach (var h in byInput[name]) h.Add(values, shape);
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
