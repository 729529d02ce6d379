using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Autodiff;

/// <summary>
/// Bounds a training graph's memory by recomputation (activation checkpointing at the granularity of cheap ops): a
/// forward value that the backward pass reads and whose op is cheap to run again (elementwise, see
/// <see cref="OpSchema.Recomputable"/>) is computed a second time from its inputs right where the backward pass needs it,
/// so the forward copy is freed after its last forward reader instead of living through the whole step. A value is
/// recomputed only when its inputs are alive at that point anyway: read by the backward pass themselves, constants,
/// graph inputs, or recomputed too (chains such as GELU's Div → Erf → Add are recomputed together, up to
/// <see cref="MaxChain"/> ops deep). The values are bit for bit the same; the cost is the time of the repeated ops.
/// </summary>
internal static class ActivationRecomputation
{
    /// <summary>The longest chain of ops recomputed for one value.</summary>
    public const int MaxChain = 6;

    /// <summary>
    /// Rewrites <paramref name="graph"/> in place: <paramref name="forward"/> lists the forward (model and loss) nodes in
    /// topological order; every other node is the backward pass. Returns the forward values now recomputed.
    /// </summary>
    public static IReadOnlyList<string> Apply(ModelGraph graph, IReadOnlyList<Node> forward)
    {
        var forwardNodes = new HashSet<Node>(forward, ReferenceEqualityComparer.Instance);
        var producers = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in forward)
            foreach (var o in node.Outputs) if (o.Length > 0) producers[o] = node;
        var backward = graph.Nodes.Where(n => !forwardNodes.Contains(n)).ToList();
        var readByBackward = new HashSet<string>(backward.SelectMany(n => n.Inputs).Where(producers.ContainsKey), StringComparer.Ordinal);

        var recomputed = new List<string>();
        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in forward)
        {
            foreach (var v in node.Outputs)
            {
                if (v.Length == 0 || !readByBackward.Contains(v)) continue;
                var tentative = new List<string>();
                if (TryRecompute(v, 0, tentative))
                {
                    foreach (var t in tentative) if (chosen.Add(t)) recomputed.Add(t);
                }
            }
        }
        if (recomputed.Count == 0) return [];

        // Clones in forward order (a clone's recomputed inputs are cloned before it), then the backward readers rewired.
        var clones = new Dictionary<string, string>(StringComparer.Ordinal);
        var position = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < forward.Count; i++) position[forward[i]] = i;
        foreach (var v in recomputed.OrderBy(v => position[producers[v]]))
        {
            var node = producers[v];
            string copy = graph.UniqueName(v + "/recomputed");
            var clone = graph.AddNode(node.OpType, node.Inputs.Select(i => clones.GetValueOrDefault(i, i)), [copy], graph.UniqueName(node.DisplayName + "/recompute"), node.Domain);
            clone.CopyAttributesFrom(node);
            clones[v] = copy;
        }
        foreach (var node in backward)
        {
            for (int k = 0; k < node.Inputs.Count; k++)
                if (clones.TryGetValue(node.Inputs[k], out var copy)) graph.SetInput(node, k, copy);
        }
        graph.SortTopologically();
        return recomputed;

        // Whether v can be recomputed where the backward pass reads it, adding it (and the helpers it needs) to the list.
        bool TryRecompute(string v, int depth, List<string> tentative)
        {
            if (chosen.Contains(v) || tentative.Contains(v)) return true;
            var node = producers[v];
            if (depth >= MaxChain || node.Outputs.Count != 1 || node.HasSubgraph || OpCatalog.Find(node.OpType, node.Domain) is not { Recomputable: true }) return false;
            int mark = tentative.Count;
            foreach (var u in node.Inputs)
            {
                if (u.Length == 0 || !producers.TryGetValue(u, out var p)) continue; // initializer, parameter or graph input
                if (p.ConstantValue() is not null || chosen.Contains(u) || tentative.Contains(u)) continue;
                if (readByBackward.Contains(u)) continue; // kept alive for the backward pass anyway (decided earlier: it precedes v)
                if (!TryRecompute(u, depth + 1, tentative))
                {
                    tentative.RemoveRange(mark, tentative.Count - mark);
                    return false;
                }
            }
            tentative.Add(v);
            return true;
        }
    }
}
