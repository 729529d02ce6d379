using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;
using Shrink.Training.Autodiff;

namespace Shrink.Training;

/// <summary>
/// The bytes of forward values a training step keeps for its backward pass (<see cref="TrainingGraph.KeptActivations"/>),
/// as a function of the batch: the forward part of the training graph runs in ONNX Runtime on one sample and on two, each
/// value's bytes are read from its shape and element type, and a value of b₁ bytes at one sample and b₂ at two takes
/// b₁ + (b₂ − b₁)·(n − 1) at n samples (exact for values whose size is linear in the batch, as activations are; a model
/// with a fixed batch runs at that batch both times, so the per-sample part is zero). Cheap: two small runs, no training.
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

    /// <summary>The bytes of <paramref name="values"/> at <paramref name="batch"/> samples (values not measured count 0).</summary>
    public long Bytes(IEnumerable<string> values, int batch)
    {
        ArgumentNullException.ThrowIfNull(values);
        long total = 0;
        foreach (var v in values.Distinct(StringComparer.Ordinal))
            if (_sizes.TryGetValue(v, out var s)) total += s.Fixed + s.PerSample * batch;
        return total;
    }

    /// <summary>
    /// The largest batch at which <paramref name="values"/> take at most <paramref name="budget"/> bytes (up to
    /// <paramref name="limit"/>); 0 when not even one sample fits.
    /// </summary>
    public int LargestBatch(IEnumerable<string> values, long budget, int limit)
    {
        ArgumentNullException.ThrowIfNull(values);
        var distinct = values.Distinct(StringComparer.Ordinal).ToArray();
        long fixedBytes = Bytes(distinct, 0);
        long perSample = Bytes(distinct, 1) - fixedBytes;
        if (fixedBytes + perSample > budget) return 0;
        if (perSample <= 0) return limit;
        return (int)Math.Min(limit, (budget - fixedBytes) / perSample);
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
