using Shrink.Calibration;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization;

/// <summary>
/// Compares a quantized model with its float original tensor by tensor on calibration data: the SQNR at every quantized
/// node's output, how much each node loses itself, and the fidelity of the model outputs. Runs both models without
/// ORT optimizations so every intermediate value is observable.
/// </summary>
public static class LayerErrorAnalyzer
{
    /// <summary>Per-node errors sorted worst first (lowest SQNR), and the output fidelity of the whole model.</summary>
    public static (IReadOnlyList<LayerError> Layers, ExclusionTrial Output) Measure(
        OnnxModel floatModel, OnnxModel quantized, QdqPlan plan, QdqApplication application, IDataSource data, long samples, int batchSize,
        long? memoryBudget = null, Action<ActivationBatchPlan>? planned = null)
    {
        var folded = new Dictionary<Model.Node, string>(ReferenceEqualityComparer.Instance);
        foreach (var f in plan.Folded) folded[f.Producer] = f.Activation.Outputs[0];
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal); // float tensor → quantized-model tensor
        // The inserter pointed quantized nodes at the dequantized copies; map those back to the float names.
        var original = application.DequantizedNames.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        var rows = new List<(Model.Node Node, string Output, string? Input)>();
        foreach (var node in plan.Quantized)
        {
            string output = folded.TryGetValue(node, out var foldedOutput) ? foldedOutput : node.Outputs[0];
            string? input = node.Inputs.Count > 0 && original.TryGetValue(node.Inputs[0], out var floatInput) ? floatInput : null;
            pairs[output] = application.DequantizedNames.GetValueOrDefault(output, output);
            if (input is not null) pairs[input] = application.DequantizedNames[input];
            rows.Add((node, output, input));
        }
        string firstOutput = floatModel.Graph.Outputs[0].Name;
        pairs[firstOutput] = firstOutput;
        var accumulators = Compare(floatModel, quantized, pairs, data, samples, batchSize, firstOutput, out var outputFidelity, memoryBudget, planned);

        var layers = rows.Select(r =>
        {
            double sqnr = accumulators[r.Output].SqnrDb;
            double? inSqnr = r.Input is null ? null : accumulators[r.Input].SqnrDb;
            double own = inSqnr is double i && double.IsFinite(i) && double.IsFinite(sqnr) ? i - sqnr : 0;
            return new LayerError(r.Node.DisplayName, r.Node.OpType, r.Output, sqnr, inSqnr, own);
        }).OrderBy(l => l.SqnrDb).ToList();
        return (layers, new ExclusionTrial([], outputFidelity.SqnrDb, outputFidelity.ArgMaxAgreement));
    }

    /// <summary>Output fidelity (first output) of a quantized model against the float model.</summary>
    public static ExclusionTrial MeasureOutput(
        OnnxModel floatModel, OnnxModel quantized, IDataSource data, long samples, int batchSize, IReadOnlyList<string> excluded, long? memoryBudget = null)
    {
        string first = floatModel.Graph.Outputs[0].Name;
        Compare(floatModel, quantized, new Dictionary<string, string> { [first] = first }, data, samples, batchSize, first, out var fidelity, memoryBudget, null);
        return new ExclusionTrial(excluded, fidelity.SqnrDb, fidelity.ArgMaxAgreement);
    }

    private static Dictionary<string, FidelityAccumulator> Compare(
        OnnxModel floatModel, OnnxModel quantized, IReadOnlyDictionary<string, string> pairs, IDataSource data, long samples, int batchSize,
        string firstOutput, out FidelityAccumulator outputFidelity, long? memoryBudget, Action<ActivationBatchPlan>? planned)
    {
        var inputs = new HashSet<string>(floatModel.Graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        // Graph inputs come from the batch on the float side; on the quantized side their dequantized copy is exposed.
        var floatNames = pairs.Keys.Where(k => !inputs.Contains(k)).ToArray();
        var one = data.ReadBatches(1, 1).FirstOrDefault() ?? throw new ShrinkException($"{data.Description}: empty data set.");
        // Each float activation is held three times per batch: ORT's output, our copy, and the quantized model's output.
        var (plan, floatSession) = Statistics.ActivationFootprint.Plan(floatModel, floatNames, one, copies: 3, memoryBudget ?? MemoryBudget.DefaultBytes(), batchSize);
        planned?.Invoke(plan);
        var accumulators = pairs.Keys.ToDictionary(k => k, _ => new FidelityAccumulator(), StringComparer.Ordinal);
        var groups = plan.Groups.Select(g => (IReadOnlyList<string>)g).ToList();
        // Keys that are graph inputs have no float output; they ride with the first pass.
        groups[0] = groups[0].Concat(pairs.Keys.Where(inputs.Contains)).ToArray();
        foreach (var group in groups)
        {
            var groupFloat = group.Where(k => !inputs.Contains(k)).ToArray();
            var groupQuant = group.Select(k => pairs[k]).Where(v => !inputs.Contains(v)).Distinct().ToArray();
            var reverse = group.Where(k => !inputs.Contains(pairs[k])).ToDictionary(k => pairs[k], k => k, StringComparer.Ordinal);
            using var floatPass = floatSession ?? ModelSession.Open(floatModel.WithOutputs(groupFloat), new RuntimeOptions { Optimize = false });
            floatSession = null;
            using var quantPass = ModelSession.Open(quantized.WithOutputs(groupQuant), new RuntimeOptions { Optimize = false });
            // Reference copies are reused from batch to batch (the last batch may be shorter).
            var copies = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var batch in data.ReadBatches(plan.BatchSize, samples))
            {
                var reference = new Dictionary<string, float[]>(StringComparer.Ordinal);
                foreach (var input in batch.Inputs)
                    if (input.Data is float[] x) reference[input.Name] = x;
                using (var prepared = floatPass.Prepare(batch))
                {
                    floatPass.RunVisit(prepared, groupFloat, (name, values) =>
                    {
                        if (!copies.TryGetValue(name, out var copy) || copy.Length != values.Length) copies[name] = copy = new float[values.Length];
                        values.CopyTo(copy);
                        reference[name] = copy;
                    });
                }
                using var preparedQ = quantPass.Prepare(batch);
                quantPass.RunVisit(preparedQ, groupQuant, (name, values) =>
                {
                    string key = reverse[name];
                    int axis = key == firstOutput ? (int)(values.Length / batch.Count) : 0;
                    accumulators[key].Add(values, reference[key], axis);
                });
            }
        }
        outputFidelity = accumulators[firstOutput];
        return accumulators;
    }
}
