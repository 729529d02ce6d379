using System.Globalization;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Pipelines.Decoding;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// What channel pruning of a decoder with a KV cache needs besides the graph: a probe length for the symbolic past length
/// (the cache inputs get <see cref="ProbePastLength"/> tokens when no data or <c>--input-shape</c> sizes them), and, once
/// heads are removed and the cache inputs declare fewer of them (<see cref="ChannelDependencyGraph.InterfaceSlices"/>), a
/// way to feed the pruned model the batches made for the unpruned one: the kept heads of every cache input.
/// </summary>
internal static class KvCacheHeads
{
    /// <summary>The past length the cache inputs are probed at when nothing sizes it (the tokens are probed at 16).</summary>
    public const int ProbePastLength = 8;

    /// <summary>
    /// <paramref name="overrides"/> with a shape for every cache input of <paramref name="model"/> that it does not size: batch 1,
    /// <see cref="ProbePastLength"/> tokens, the declared dims elsewhere (left out when one of those is symbolic: random data
    /// then asks for <c>--input-shape</c>). <paramref name="note"/> says which were set; null when none was.
    /// </summary>
    public static Dictionary<string, long[]> ProbeShapes(OnnxModel model, IReadOnlyDictionary<string, long[]>? overrides, out string? note)
    {
        var shapes = new Dictionary<string, long[]>(overrides ?? new Dictionary<string, long[]>(), StringComparer.Ordinal);
        note = null;
        if (KvCacheLayout.Detect(model) is not { } layout) return shapes;
        var set = new List<string>();
        foreach (var pair in layout.Pairs)
        {
            if (shapes.ContainsKey(pair.Past) || pair.Dims.Where((_, a) => a != pair.BatchAxis && a != pair.SequenceAxis).Any(d => d is null)) continue;
            shapes[pair.Past] = [.. pair.Dims.Select((d, a) => a == pair.BatchAxis ? 1 : a == pair.SequenceAxis ? ProbePastLength : d!.Value)];
            set.Add(pair.Past);
        }
        if (set.Count > 0)
        {
            var first = model.Graph.Inputs.First(i => i.Name == set[0]);
            note = string.Create(CultureInfo.InvariantCulture,
                $"the past length of the {set.Count} cache input(s) ({set[0]} {first.ShapeText}{(set.Count > 1 ? ", …" : "")}) set to {ProbePastLength} tokens");
        }
        return shapes;
    }

    /// <summary>
    /// <paramref name="batch"/> (made for the unpruned model) with every cache input cut to the heads kept: what the pruned
    /// model reads. The batch itself when no cache input lost heads.
    /// </summary>
    public static DataBatch KeptHeads(DataBatch batch, IReadOnlyList<ChannelInterfaceSlice> slices, IReadOnlyList<int[]> keep)
    {
        var cut = slices.Where(s => s.IsInput).Select(s => (s.Value, s.Axis, Positions: s.Layout.KeptPositions(keep)))
            .Where(s => s.Positions is not null).ToDictionary(s => s.Value, s => (s.Axis, s.Positions!), StringComparer.Ordinal);
        if (cut.Count == 0) return batch;
        return new DataBatch([.. batch.Inputs.Select(t => cut.TryGetValue(t.Name, out var c) ? Gather(t, c.Axis, c.Item2) : t)], batch.Count, batch.Labels);
    }

    private static BatchTensor Gather(BatchTensor tensor, int axis, int[] positions)
    {
        if (tensor.Data is not float[] source)
            throw new ShrinkException($"Cache input '{tensor.Name}' is {tensor.Type.OnnxName()}, not float; its heads cannot be cut.");
        var shape = tensor.Shape.ToArray();
        long outer = 1, inner = 1;
        for (int a = 0; a < axis; a++) outer *= shape[a];
        for (int a = axis + 1; a < shape.Length; a++) inner *= shape[a];
        long length = shape[axis];
        var data = new float[outer * positions.Length * inner];
        for (long o = 0; o < outer; o++)
            for (int j = 0; j < positions.Length; j++)
                Array.Copy(source, (o * length + positions[j]) * inner, data, (o * positions.Length + j) * inner, inner);
        shape[axis] = positions.Length;
        return new BatchTensor(tensor.Name, tensor.Type, shape, data, tensor.BatchAxis);
    }

    /// <summary>
    /// A copy of <paramref name="pruned"/> that reads the unpruned cache: every cache input that lost heads is declared
    /// with all of them again and a Gather of the kept heads feeds its readers, so that passes which run the pruned and the
    /// unpruned model on the same batches (the least-squares refit) can. Its initializers have the pruned model's names;
    /// copy them back with <see cref="CopyWeights"/>. Null when no cache input lost heads.
    /// </summary>
    public static OnnxModel? ReadingFullCache(OnnxModel pruned, IReadOnlyList<ChannelInterfaceSlice> slices, IReadOnlyList<int[]> keep)
    {
        var cut = slices.Where(s => s.IsInput && s.Layout.KeptPositions(keep) is not null).ToList();
        if (cut.Count == 0) return null;
        var model = pruned.Clone();
        var graph = model.Graph;
        foreach (var slice in cut)
        {
            var positions = slice.Layout.KeptPositions(keep)!;
            string kept = graph.UniqueName(slice.Value + "_kept_heads");
            string indices = graph.UniqueName(slice.Value + "_kept_head_indices");
            graph.SetInitializer(TensorData.Create<long>(indices, [positions.Length], [.. positions.Select(p => (long)p)], ElementType.Int64));
            graph.RedirectConsumers(slice.Value, kept);
            var gather = graph.AddNode(OpTypes.Gather, [slice.Value, indices], [kept], kept, insertAt: 0);
            gather.SetInt("axis", slice.Axis);
            graph.SetDeclaredDim(slice.Value, slice.Axis, slice.Layout.Extent);
        }
        return model;
    }

    /// <summary>The cache inputs and outputs whose head axis changed, with their new shapes, in words; null when none did.</summary>
    public static string? Describe(IReadOnlyList<ValueInfo> resized)
    {
        if (resized.Count == 0) return null;
        var byShape = resized.GroupBy(v => v.ShapeText).Select(g => g.Count() <= 2 ? $"{string.Join(", ", g.Select(v => v.Name))} {g.Key}"
            : string.Create(CultureInfo.InvariantCulture, $"{g.First().Name} … {g.Last().Name} ({g.Count()}) {g.Key}"));
        return $"the model's KV cache interface changed (the only interface change channel pruning makes): {string.Join("; ", byShape)}; "
            + "feed it caches of the kept heads (its own present outputs are)";
    }

    /// <summary>Copies every initializer of <paramref name="from"/> that <paramref name="to"/> has (by name) into <paramref name="to"/>.</summary>
    public static void CopyWeights(OnnxModel from, OnnxModel to)
    {
        foreach (var (name, tensor) in from.Graph.Initializers.ToArray())
            if (to.Graph.FindInitializer(name) is not null) to.Graph.SetInitializer(tensor);
    }
}
