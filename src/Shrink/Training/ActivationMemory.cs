using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Training.Autodiff;

namespace Shrink.Training;

/// <summary>
/// The bytes of a training step's values as a function of the batch: the forward values it keeps for its backward pass
/// (<see cref="TrainingGraph.KeptActivations"/>), and the most bytes of computed values alive at once while the whole step
/// runs (<see cref="PeakBytes"/>: the kept values plus the backward pass's own). The training graph runs in ONNX Runtime
/// on one sample and on two, each value's bytes are read from its shape and element type, and a value of b₁ bytes at one
/// sample and b₂ at two takes b₁ + (b₂ − b₁)·(n − 1) at n samples (exact for values whose size is linear in the batch, as
/// activations are; a model with a fixed batch runs at that batch both times, so the per-sample part is zero). Cheap:
/// two small runs, no training.
/// </summary>
public sealed class ActivationMemory
{
    private readonly Dictionary<string, (long Fixed, long PerSample)> _sizes;

    private ActivationMemory(Dictionary<string, (long Fixed, long PerSample)> sizes) => _sizes = sizes;

    /// <summary>
    /// Measures <paramref name="values"/> (forward values of <paramref name="graph"/>) by running the nodes they depend on
    /// with the training graph's full feed at one and at two samples, as <paramref name="feed"/> builds it (the model's
    /// inputs, the parameters and the loss's inputs).
    /// </summary>
    public static ActivationMemory Measure(TrainingGraph graph, IReadOnlyCollection<string> values, Func<int, DataBatch> feed, RuntimeOptions? runtime = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(feed);
        var sizes = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        if (values.Count == 0) return new ActivationMemory(sizes);
        var wanted = values.Distinct(StringComparer.Ordinal).ToArray();
        using var session = ModelSession.Open(graph.Model.WithOnlyOutputs(wanted), runtime ?? new RuntimeOptions(), $"{graph.Model.Name} (forward values kept for the backward pass)");
        var one = Bytes(session, feed(1));
        var two = Bytes(session, feed(2));
        foreach (var v in wanted)
        {
            long b1 = one.GetValueOrDefault(v), b2 = two.GetValueOrDefault(v);
            sizes[v] = (b1 - (b2 - b1), b2 - b1);
        }
        return new ActivationMemory(sizes);
    }

    /// <summary>Measures every value the nodes of <paramref name="graph"/> compute, forward and backward (for <see cref="PeakBytes"/>).</summary>
    public static ActivationMemory MeasureAll(TrainingGraph graph, Func<int, DataBatch> feed, RuntimeOptions? runtime = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return Measure(graph, [.. graph.Model.Graph.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0)], feed, runtime);
    }

    /// <summary>A memory of given sizes (fixed bytes, bytes per sample) by value name.</summary>
    internal static ActivationMemory FromSizes(IReadOnlyDictionary<string, (long Fixed, long PerSample)> sizes) =>
        new(new Dictionary<string, (long, long)>(sizes, StringComparer.Ordinal));

    /// <summary>
    /// The most bytes of computed values alive at once at <paramref name="batch"/> samples while the nodes of
    /// <paramref name="graph"/> run one after another: a value lives from the node that computes it until its last reader
    /// has run. The order is ONNX Runtime's default: depth-first from the graph outputs, each node after the nodes it reads
    /// (so a training graph runs the loss's forward pass first, and each recomputed value just before the backward node
    /// that needs it). Graph inputs, parameters, constants and graph outputs (the loss and the gradients, written into the
    /// trainer's own buffers) are not counted, nor ORT's reuse of an input's buffer for an elementwise output (so this errs
    /// high by such values), nor a kernel's own scratch and the allocator's growth (so it errs low by those).
    /// </summary>
    public long PeakBytes(ModelGraph graph, int batch)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var order = ExecutionOrder(graph);
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in order)
            foreach (var input in node.Inputs.Where(i => i.Length > 0).Distinct(StringComparer.Ordinal))
                readers[input] = readers.GetValueOrDefault(input) + 1;
        long live = 0, peak = 0;
        foreach (var node in order)
        {
            var outputs = node.Outputs.Where(o => o.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
            foreach (var o in outputs)
                if (!graph.IsGraphOutput(o)) live += Size(o, batch);
            peak = Math.Max(peak, live);
            foreach (var input in node.Inputs.Where(i => i.Length > 0).Distinct(StringComparer.Ordinal))
                if (--readers[input] == 0 && !graph.IsGraphOutput(input)) live -= Size(input, batch);
            foreach (var o in outputs)
                if (readers.GetValueOrDefault(o) == 0 && !graph.IsGraphOutput(o)) live -= Size(o, batch);
        }
        return peak;
    }

    /// <summary>
    /// The largest batch at which <see cref="PeakBytes"/> of <paramref name="graph"/> is at most <paramref name="budget"/>
    /// (up to <paramref name="limit"/>); 0 when not even one sample fits.
    /// </summary>
    public int LargestBatch(ModelGraph graph, long budget, int limit)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (PeakBytes(graph, 1) > budget) return 0;
        int lo = 1, hi = limit;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo + 1) / 2);
            if (PeakBytes(graph, mid) <= budget) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    // Depth-first from the graph outputs in their order, a node after the producers of its inputs; nodes no output needs
    // come last, in the graph's topological order.
    private static List<Node> ExecutionOrder(ModelGraph graph)
    {
        var order = new List<Node>();
        var done = new HashSet<Node>();
        var stack = new Stack<(Node Node, bool Expanded)>();
        void Visit(Node root)
        {
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                var (node, expanded) = stack.Pop();
                if (done.Contains(node)) continue;
                if (expanded)
                {
                    done.Add(node);
                    order.Add(node);
                    continue;
                }
                stack.Push((node, true));
                for (int i = node.Inputs.Count - 1; i >= 0; i--)
                    if (node.Inputs[i].Length > 0 && graph.Producer(node.Inputs[i]) is { } producer && !done.Contains(producer)) stack.Push((producer, false));
            }
        }
        foreach (var output in graph.Outputs)
            if (graph.Producer(output.Name) is { } producer) Visit(producer);
        foreach (var node in graph.TopologicalOrder())
            if (!done.Contains(node)) Visit(node);
        return order;
    }

    private long Size(string value, int batch) => _sizes.TryGetValue(value, out var s) ? s.Fixed + (s.PerSample * batch) : 0;

    /// <summary>The bytes of <paramref name="values"/> at <paramref name="batch"/> samples (values not measured count 0).</summary>
    public long Bytes(IEnumerable<string> values, int batch)
    {
        ArgumentNullException.ThrowIfNull(values);
        long total = 0;
        foreach (var v in values.Distinct(StringComparer.Ordinal))
            if (_sizes.TryGetValue(v, out var s)) total += s.Fixed + s.PerSample * batch;
        return total;
    }

    // Bytes of every tensor output of one run.
    private static Dictionary<string, long> Bytes(ModelSession session, DataBatch batch)
    {
        using var inputs = session.Prepare(batch);
        var shapes = session.RunShapes(inputs);
        var types = session.RunTypes(inputs);
        var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, shape) in shapes)
        {
            long elements = shape.Aggregate(1L, (a, d) => a * Math.Max(d, 0));
            bytes[name] = elements * (types.TryGetValue(name, out var t) && t.BitWidth() is int bits and > 0 ? Math.Max(1, bits / 8) : sizeof(float));
        }
        return bytes;
    }
}
