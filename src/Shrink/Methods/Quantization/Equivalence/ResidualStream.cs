using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// A residual stream a rotation can be fused into exactly: the values (embedding outputs, writer outputs, residual Adds)
/// that only linear writers produce and only norms, residual Adds and Shape read. Its writers are embedding tables
/// (Gather, or a Slice of a positional table along its rows) and projections (MatMul with a constant [K,d] weight, with
/// or without a constant bias Add); its norms are LayerNormalization ops (axis −1) and decomposed RMSNorms
/// (x·1/√(mean(x²)+ε)·γ), each read only by weighted MatMul/Gemm layers. Rotating the stream by Q (x' = x·Q) means
/// writers take W·Q, tables T·Q, biases b·Q; RMSNorm commutes with Q, LayerNorm only when Q maps the all-ones direction
/// to itself; each norm's γ is folded into its readers (W' = Qᵀ·diag(γ)·W) and set to 1, a LayerNorm's β becomes
/// (β/γ)·Q.
/// </summary>
public sealed class ResidualStream
{
    private ResidualStream(int width) => Width = width;

    /// <summary>Channels of the stream (d).</summary>
    public int Width { get; private set; }

    /// <summary>The stream's values.</summary>
    public HashSet<string> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Embedding tables [rows, d] whose rows enter the stream (Gather or Slice over rows).</summary>
    public HashSet<string> Tables { get; } = new(StringComparer.Ordinal);

    /// <summary>Projections writing into the stream, with their bias initializer (null: none).</summary>
    public List<(WeightLayer Layer, string? Bias)> Writers { get; } = [];

    /// <summary>The norms reading the stream.</summary>
    public List<StreamNorm> Norms { get; } = [];

    /// <summary>Whether a LayerNorm reads it (then Q must keep the all-ones direction).</summary>
    public bool HasLayerNorm => Norms.Any(n => n.Node.OpType == OpTypes.LayerNormalization);

    /// <summary>A norm on the stream: its γ (scale) node, γ and β initializers, output, and the layers reading it.</summary>
    public sealed record StreamNorm(Node Node, Node ScaleNode, int GammaInput, string Gamma, string? Beta, string Output, List<WeightLayer> Readers);

    /// <summary>
    /// The stream that <paramref name="start"/> (a norm's input) belongs to, or null with the reason (naming the node) it
    /// cannot be rotated exactly.
    /// </summary>
    public static ResidualStream? Find(ModelGraph graph, string start, out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var stream = new ResidualStream(0);
        refusal = stream.Grow(graph, start);
        return refusal is null ? stream : null;
    }

    private string? Grow(ModelGraph graph, string start)
    {
        var work = new Queue<string>();
        Values.Add(start);
        work.Enqueue(start);
        var seenNodes = new HashSet<Node>();
        while (work.Count > 0)
        {
            string value = work.Dequeue();
            if (graph.IsGraphOutput(value)) return $"the stream value '{value}' is a graph output";
            if (graph.FindInitializer(value) is not null) return $"the stream value '{value}' is a constant";
            var producer = graph.Producer(value);
            if (producer is null) return $"the stream value '{value}' is a graph input";
            if (seenNodes.Add(producer) && ClassifyProducer(graph, producer, value, work) is string bad) return bad;
            foreach (var consumer in graph.Consumers(value))
            {
                if (!seenNodes.Add(consumer)) continue;
                if (ClassifyConsumer(graph, consumer, value, work) is string why) return why;
            }
        }
        if (Norms.Count == 0) return "no norm reads it";
        foreach (var norm in Norms)
        {
            if (graph.FindInitializer(norm.Gamma)!.ElementCount != Width || norm.Beta is not null && graph.FindInitializer(norm.Beta)!.ElementCount != Width)
                return $"'{norm.Node.DisplayName}': γ/β are not [{Width}] vectors";
            if (norm.Beta is not null && graph.FindInitializer(norm.Gamma)!.ToFloatArray().Any(g => g == 0))
                return $"'{norm.Node.DisplayName}': γ has a zero, so β cannot move before it";
        }
        return null;
    }

    private void Enqueue(string value, Queue<string> work)
    {
        if (Values.Add(value)) work.Enqueue(value);
    }

    private string? SetWidth(int width, Node node)
    {
        if (Width == 0) Width = width;
        return Width == width ? null : $"'{node.DisplayName}' writes {width} channels into a {Width}-channel stream";
    }

    private string? ClassifyProducer(ModelGraph graph, Node producer, string value, Queue<string> work)
    {
        string op = producer.OpType;
        if (op == OpTypes.Add && producer.Domain.Length == 0)
        {
            int constant = producer.Inputs.Select((v, i) => (v, i)).Where(p => graph.FindInitializer(p.v) is not null).Select(p => p.i + 1).FirstOrDefault() - 1;
            if (constant < 0)
            {
                foreach (var input in producer.Inputs) Enqueue(input, work); // a residual Add: both operands are stream values
                return null;
            }
            // A bias Add after a projection.
            string bias = producer.Inputs[constant], other = producer.Inputs[1 - constant];
            var mm = graph.Producer(other);
            if (mm is null || graph.Consumers(other).Count != 1 || WeightLayer.TryCreate(mm, graph, out _) is not { } layer || layer.Schema.Layer != LayerKind.MatMul)
                return $"'{producer.DisplayName}' adds a constant to something other than a projection";
            if (graph.FindInitializer(bias)!.ElementCount != layer.Rows || graph.Consumers(bias).Count != 1)
                return $"'{producer.DisplayName}': its bias is not a [{layer.Rows}] constant of its own";
            return AddWriter(graph, layer, bias);
        }
        if (WeightLayer.TryCreate(producer, graph, out _) is { Schema.Layer: LayerKind.MatMul } writer)
            return AddWriter(graph, writer, null);
        if (op == OpTypes.Gather && producer.Domain.Length == 0 && producer.GetInt("axis", 0) == 0 && graph.FindInitializer(producer.Inputs[0]) is { Dims.Count: 2 } table)
            return AddTable(graph, producer, table);
        if (op == OpTypes.Slice && graph.FindInitializer(producer.Inputs[0]) is { Dims.Count: 2 } sliced
            && producer.Inputs.Count >= 4 && graph.FindInitializer(producer.Inputs[3]) is { Type: ElementType.Int64 } axes && axes.AsSpan<long>() is [0])
            return AddTable(graph, producer, sliced);
        return $"'{producer.DisplayName}' ({op}) writes into the stream and is not a linear writer (projection, embedding table or residual Add)";
    }

    private string? AddWriter(ModelGraph graph, WeightLayer layer, string? bias)
    {
        if (graph.Consumers(layer.WeightName).Count != 1) return $"'{layer.Name}': its weight is shared";
        Writers.Add((layer, bias));
        return SetWidth(layer.Rows, layer.Node);
    }

    private string? AddTable(ModelGraph graph, Node reader, TensorData table)
    {
        if (table.Type != ElementType.Float) return $"'{reader.DisplayName}': the table is not float";
        if (graph.Consumers(table.Name).Count != 1) return $"'{reader.DisplayName}': the table '{table.Name}' is read elsewhere too (tied to the output head?)";
        Tables.Add(table.Name);
        return SetWidth((int)table.Dims[1], reader);
    }

    private string? ClassifyConsumer(ModelGraph graph, Node consumer, string value, Queue<string> work)
    {
        string op = consumer.OpType;
        if (consumer.Domain.Length != 0) return $"'{consumer.DisplayName}' ({consumer.Domain}.{op}) reads the stream";
        if (op == OpTypes.Shape) return null;
        if (op == OpTypes.Add && consumer.Inputs.All(i => graph.FindInitializer(i) is null))
        {
            Enqueue(consumer.Outputs[0], work);
            foreach (var input in consumer.Inputs) Enqueue(input, work);
            return null;
        }
        if (op == OpTypes.LayerNormalization)
        {
            if (consumer.Inputs[0] != value || consumer.GetInt("axis", -1) != -1 || consumer.Outputs.Count > 1 && consumer.Outputs.Skip(1).Any(o => o.Length > 0))
                return $"'{consumer.DisplayName}': a LayerNormalization over other than the last axis (or with mean/inv-std outputs)";
            if (graph.FindInitializer(consumer.Inputs[1]) is null || consumer.Inputs.Count > 2 && consumer.Inputs[2].Length > 0 && graph.FindInitializer(consumer.Inputs[2]) is null)
                return $"'{consumer.DisplayName}': γ/β are not constants";
            return AddNorm(graph, consumer, consumer, 1, consumer.Inputs.Count > 2 && consumer.Inputs[2].Length > 0 ? consumer.Inputs[2] : null);
        }
        if (op == OpTypes.Pow) return RmsNormFromPow(graph, consumer, value);
        if (op == OpTypes.Mul && RmsNormScale(graph, consumer, value) is { } mul) return RmsNormFromMul(graph, consumer, mul);
        if (op is OpTypes.ReduceMean or OpTypes.Sub)
            return $"'{consumer.DisplayName}' ({op}) reads the stream: a LayerNorm written out as ReduceMean/Sub/Pow/... is not handled (the LayerNormalization op and decomposed RMSNorms are)";
        return $"'{consumer.DisplayName}' ({op}) reads the stream and is not a norm or a residual Add";
    }

    // x → Pow(x, 2) → ReduceMean(last axis) → Add(ε) → Sqrt → Div(1, ·) | Reciprocal → Mul(x, ·) → Mul(·, γ)
    private string? RmsNormFromPow(ModelGraph graph, Node pow, string x)
    {
        if (pow.Inputs[0] != x || graph.FindInitializer(pow.Inputs[1]) is not { } exponent || exponent.ToFloatArray() is not [2f])
            return $"'{pow.DisplayName}' (Pow) reads the stream and is not the square of an RMSNorm";
        var chain = Follow(graph, pow);
        if (chain is null || chain.OpType != OpTypes.ReduceMean || !ReducesLastAxis(graph, chain)) return $"'{pow.DisplayName}': not followed by a mean over the last axis (RMSNorm)";
        // Everything after the mean is per-row, so it commutes; the scaling Mul(x, ·) is found from the stream side.
        var muls = graph.Consumers(x).Where(c => c.OpType == OpTypes.Mul && RmsNormScale(graph, c, x) is not null).ToList();
        return muls.Count == 1 ? null : $"'{pow.DisplayName}': no single Mul(x, 1/rms) reads the stream beside it";
    }

    private string? RmsNormFromMul(ModelGraph graph, Node scale, Node gammaMul)
    {
        int g = graph.FindInitializer(gammaMul.Inputs[1]) is not null ? 1 : 0;
        return AddNorm(graph, scale, gammaMul, g, null);
    }

    /// <summary>The γ Mul after a Mul(x, r) whose r is computed from x by a mean over the last axis; null otherwise.</summary>
    private static Node? RmsNormScale(ModelGraph graph, Node mul, string x)
    {
        int other = mul.Inputs[0] == x ? 1 : mul.Inputs[1] == x ? 0 : -1;
        if (other < 0 || graph.FindInitializer(mul.Inputs[other]) is not null) return null;
        // r must come from a ReduceMean over the last axis of Pow(x, 2), through per-row ops only.
        var node = graph.Producer(mul.Inputs[other]);
        for (int depth = 0; node is not null && depth < 6; depth++)
        {
            if (node.OpType == OpTypes.ReduceMean)
            {
                var pow = graph.Producer(node.Inputs[0]);
                if (pow is null || pow.OpType != OpTypes.Pow || pow.Inputs[0] != x || !ReducesLastAxis(graph, node)) return null;
                break;
            }
            if (node.OpType is not (OpTypes.Add or OpTypes.Sqrt or OpTypes.Div or OpTypes.Reciprocal)) return null;
            var computed = node.Inputs.Where(i => graph.FindInitializer(i) is null).ToList();
            if (computed.Count != 1) return null;
            node = graph.Producer(computed[0]);
        }
        if (node is null || node.OpType != OpTypes.ReduceMean) return null;
        var consumers = graph.Consumers(mul.Outputs[0]);
        return consumers.Count == 1 && consumers[0].OpType == OpTypes.Mul && consumers[0].Inputs.Any(i => graph.FindInitializer(i) is not null) ? consumers[0] : null;
    }

    private static Node? Follow(ModelGraph graph, Node node) => graph.Consumers(node.Outputs[0]) is [var only] ? only : null;

    private static bool ReducesLastAxis(ModelGraph graph, Node reduce)
    {
        if (reduce.GetInt("keepdims", 1) != 1) return false;
        var axes = reduce.GetInts("axes")?.ToArray() ?? (reduce.Inputs.Count > 1 && graph.FindInitializer(reduce.Inputs[1]) is { } t ? t.AsSpan<long>().ToArray() : null);
        return axes is [-1];
    }

    private string? AddNorm(ModelGraph graph, Node node, Node scaleNode, int gammaInput, string? beta)
    {
        string output = scaleNode.Outputs[0];
        var readers = new List<WeightLayer>();
        foreach (var reader in graph.Consumers(output))
        {
            if (reader.OpType == OpTypes.Shape) continue;
            if (WeightLayer.TryCreate(reader, graph, out _) is not { Schema.Layer: LayerKind.MatMul or LayerKind.Gemm } layer || layer.Input != output)
                return $"'{reader.DisplayName}' ({reader.OpType}) reads the norm '{node.DisplayName}' and is not a MatMul/Gemm with a constant weight";
            if (graph.Consumers(layer.WeightName).Count != 1) return $"'{layer.Name}': its weight is shared";
            readers.Add(layer);
        }
        if (graph.IsGraphOutput(output)) return $"'{node.DisplayName}': its output is a graph output";
        Norms.Add(new StreamNorm(node, scaleNode, gammaInput, scaleNode.Inputs[gammaInput], beta, output, readers));
        return null;
    }
}
