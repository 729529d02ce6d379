using Shrink.Data;
using Shrink.Model;
using Shrink.Statistics;

namespace Shrink.Measures;

/// <summary>
/// Runs a model over calibration data with the layers' inputs exposed as extra outputs and streams each batch into the
/// layers' <see cref="LayerHessian"/>s (several layers reading one value share the run): a <see cref="HessianRequest"/>
/// run by the <see cref="StatisticsRunner"/>. The model is not modified.
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
        // The float model runs first on each batch, so its values are at hand when the model's arrive. Both compute only
        // what the exposed values need: the layers after them are not run.
        bool paired = floatModel is not null && outputs.Length > 0;
        StatisticsTap[] taps = paired ? [new StatisticsTap(floatModel!, ComputeOnlyRequested: true), new StatisticsTap(model, ComputeOnlyRequested: true)] : [new StatisticsTap(model, ComputeOnlyRequested: true)];
        var request = new HessianRequest(byInput, modelTap: paired ? 1 : 0, floatTap: paired ? 0 : null, outputs);
        // The batch stays as given: sequential GPTQ reads an in-memory copy of the data held in batches of that size.
        var run = StatisticsRunner.Run(taps, [request], data, new StatisticsRunOptions { Samples = samples, BatchSize = batchSize });
        if (run.Samples == 0) throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var empty = hessians.FirstOrDefault(h => h.Rows == 0);
        if (empty is not null)
            throw new ShrinkException($"'{empty.Layer.Name}': calibration saw no float values for its input '{empty.Layer.Input}'.");
    }
}
