using Onnx;
using Shrink.Calibration;
using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization;

/// <summary>
/// Measures what observing activations costs: runs one sample with the tensors exposed and sums their bytes, then
/// plans batch size and passes within a memory budget (<see cref="ActivationBatchPlan"/>).
/// </summary>
public static class ActivationFootprint
{
    /// <summary>A copy of <paramref name="model"/> with <paramref name="names"/> added as graph outputs (the model is not modified).</summary>
    public static OnnxModel Expose(OnnxModel model, IEnumerable<string> names)
    {
        var copy = model.Clone();
        var existing = new HashSet<string>(copy.Proto.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var n in names)
            if (existing.Add(n)) copy.Proto.Graph.Output.Add(new ValueInfoProto { Name = n });
        // The clone's IR view was built before the outputs were added; ORT reads the proto directly.
        return OnnxModel.FromProto(copy.Proto, model.Name);
    }

    /// <summary>
    /// A copy of <paramref name="model"/> whose only outputs are <paramref name="names"/> and which keeps only the nodes
    /// they depend on, so a run computes no more than needed (the values are the same: the same kernels run on the same
    /// inputs). Models with subgraphs (If, Loop, Scan) are only exposed, not cut, as their bodies may read outer values.
    /// </summary>
    public static OnnxModel ExposeOnly(OnnxModel model, IReadOnlyCollection<string> names)
    {
        var copy = model.Clone();
        var graph = copy.Proto.Graph;
        if (graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
            return Expose(model, names);
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var o in node.Output)
                if (o.Length > 0) producer[o] = node;
        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>(names);
        while (pending.Count > 0)
            if (producer.TryGetValue(pending.Pop(), out var node) && needed.Add(node))
                foreach (var i in node.Input)
                    if (i.Length > 0) pending.Push(i);
        var kept = graph.Node.Where(needed.Contains).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        var declared = graph.Output.ToDictionary(o => o.Name, o => o, StringComparer.Ordinal);
        graph.Output.Clear();
        foreach (var n in names.Distinct(StringComparer.Ordinal))
            graph.Output.Add(declared.GetValueOrDefault(n) ?? new ValueInfoProto { Name = n });
        return OnnxModel.FromProto(copy.Proto, model.Name);
    }

    /// <summary>Bytes per sample of each float tensor in <paramref name="outputs"/>, measured on <paramref name="session"/> with a one-sample batch.</summary>
    public static IReadOnlyList<(string Name, long Bytes)> Measure(ModelSession session, IReadOnlyList<string> outputs, DataBatch sample)
    {
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        if (outputs.Count == 0) return [];
        using var prepared = session.Prepare(sample);
        session.RunVisit(prepared, outputs, (name, values) => bytes[name] = (long)values.Length * sizeof(float) / Math.Max(1, sample.Count));
        return outputs.Select(o => (o, bytes.GetValueOrDefault(o))).ToArray();
    }

    /// <summary>Bytes per sample of a batch's inputs.</summary>
    public static long InputBytes(DataBatch batch) =>
        batch.Inputs.Sum(i => (long)Buffer.ByteLength(i.Data)) / Math.Max(1, batch.Count);

    /// <summary>
    /// Opens <paramref name="model"/> with <paramref name="outputs"/> exposed, measures them on <paramref name="sample"/>
    /// and plans within <paramref name="budgetBytes"/>; the session is returned when the plan is one pass (reuse it), else
    /// disposed. Inputs count twice (the data source's batch and its tiled copy).
    /// </summary>
    public static (ActivationBatchPlan Plan, ModelSession? Session) Plan(
        OnnxModel model, IReadOnlyList<string> outputs, DataBatch sample, int copies, long budgetBytes, int requestedBatch)
    {
        var session = ModelSession.Open(Expose(model, outputs), new RuntimeOptions { Optimize = false });
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
