using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Runtime;

/// <summary>
/// Asks ONNX Runtime to write its optimized graph (SessionOptions.OptimizedModelFilePath) and reads what it fused:
/// a QDQ model is only fast when its Q/DQ pairs become integer kernels.
/// </summary>
public static class FusionInspector
{
    // ORT's integer kernels, whatever domain the optimized graph spells them in.
    private static readonly IReadOnlySet<string> IntegerOps = OpCatalog.IntegerKernels;

    /// <summary>
    /// Optimizes <paramref name="model"/> in ORT (level ALL, one thread) and reports what runs. With
    /// <paramref name="quantizedNodes"/> (names of nodes meant to run in int8), only those count as unfused when found
    /// between a DequantizeLinear and a QuantizeLinear; float-by-design ops there are boundaries, not failures.
    /// </summary>
    public static FusionReport Inspect(OnnxModel model, IReadOnlySet<string>? quantizedNodes = null)
    {
        string dir = Directory.CreateTempSubdirectory("shrink-fusion-").FullName;
        try
        {
            string optimized = Path.Combine(dir, "optimized.onnx");
            using (ModelSession.Open(model, new RuntimeOptions { OptimizedModelPath = optimized })) { }
            var graph = OnnxModel.ReadGraphForInspection(optimized);
            var nodes = graph.Nodes;
            var producers = new Dictionary<string, Node>(StringComparer.Ordinal);
            var consumers = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
            foreach (var n in nodes)
            {
                foreach (var o in n.Outputs) producers[o] = n;
                foreach (var i in n.Inputs)
                {
                    if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = [];
                    list.Add(n);
                }
            }
            var unfused = new List<string>();
            foreach (var n in nodes)
            {
                if (n.OpType is OpTypes.QuantizeLinear or OpTypes.DequantizeLinear || IntegerOps.Contains(n.OpType)) continue;
                bool fromDq = n.Inputs.Any(i => producers.TryGetValue(i, out var p) && p.OpType == OpTypes.DequantizeLinear && !IsWeight(p, graph));
                bool toQ = n.Outputs.Any(o => consumers.TryGetValue(o, out var cs) && cs.Any(c => c.OpType == OpTypes.QuantizeLinear));
                if (fromDq && toQ && (quantizedNodes is null || quantizedNodes.Contains(n.Name))) unfused.Add($"{(n.Name.Length > 0 ? n.Name : n.OpType)} ({n.OpType})");
            }
            var histogram = nodes.GroupBy(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}")
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
            return new FusionReport(
                histogram,
                nodes.Count(n => IntegerOps.Contains(n.OpType)),
                nodes.Count(n => n.OpType == OpTypes.QuantizeLinear),
                nodes.Count(n => n.OpType == OpTypes.DequantizeLinear),
                unfused);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    // A DequantizeLinear of a constant weight feeding a float op is weight-only storage, not an activation boundary.
    private static bool IsWeight(Node dq, ModelGraph graph) => graph.FindInitializer(dq.Inputs[0]) is not null;
}
