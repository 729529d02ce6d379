using Shrink.Calibration;
using Shrink.Data;
using Shrink.Layers;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Statistics;

namespace Shrink.Measures;

/// <summary>
/// The calibration batch of a layer-wise Hessian pass (GPTQ, SparseGPT) within a memory budget: the layer inputs a run
/// exposes at once are measured on one sample, and the batch is lowered until they fit (<see cref="ActivationBatchPlan"/>,
/// as static calibration does). A sequential pass exposes one layer input per run (the layers sharing it collect
/// together), twice when the float model runs beside it for float-output targets; a one-shot pass exposes every
/// layer input at once.
/// </summary>
public static class HessianBatchPlan
{
    /// <summary>
    /// Plans the batch for <paramref name="layers"/> of <paramref name="model"/> on <paramref name="data"/> (one sample is
    /// read and run), at most <paramref name="requestedBatch"/>, within <paramref name="budgetBytes"/>.
    /// </summary>
    /// <exception cref="ShrinkException">The data is empty.</exception>
    public static ActivationBatchPlan Choose(OnnxModel model, IReadOnlyList<WeightLayer> layers, IDataSource data, bool sequential, bool paired, long budgetBytes, int requestedBatch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(data);
        var graphInputs = new HashSet<string>(model.Graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        var exposed = layers.Select(l => l.Input).Where(n => !graphInputs.Contains(n)).Distinct(StringComparer.Ordinal).ToArray();
        var one = data.ReadBatches(1, 1).FirstOrDefault() ?? throw new ShrinkException($"{data.Description}: empty calibration data set.");
        IReadOnlyList<(string Name, long Bytes)> sizes = [];
        if (exposed.Length > 0)
        {
            using var session = ModelSession.Open(model.WithOutputs(exposed), new RuntimeOptions { Optimize = false });
            sizes = ActivationFootprint.Measure(session, exposed, one);
        }
        // Sequential: one layer input per run, the largest sets the batch.
        var atOnce = sequential && sizes.Count > 0 ? [sizes.MaxBy(s => s.Bytes)] : sizes;
        var plan = ActivationBatchPlan.Create(atOnce, 2 * ActivationFootprint.InputBytes(one), paired ? 2 : 1, budgetBytes, requestedBatch);
        // A run cannot split a layer's input across passes: one sample at a time is the floor.
        return plan.Groups.Count > 1 ? plan with { Groups = [atOnce.Select(s => s.Name).ToArray()] } : plan;
    }
}
