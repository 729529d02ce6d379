using Shrink.Onnx;

namespace Shrink.Graph.Passes;

/// <summary>
/// Upgrades the default-domain opset of a model at opset 7 to 12 to opset 13, rewriting the operators whose
/// signature or meaning changed in between so that the upgraded model computes the same outputs.
/// </summary>
/// <remarks>
/// <para>Rewrites (each only when the model's opset predates the change):</para>
/// <list type="bullet">
/// <item>Clip (&lt; 11): <c>min</c>/<c>max</c> attributes become scalar inputs of the input's element type.</item>
/// <item>Pad (&lt; 11): <c>pads</c> becomes an int64 input, a non-zero <c>value</c> a scalar input; <c>mode</c> stays.</item>
/// <item>Slice (&lt; 10): <c>starts</c>/<c>ends</c>/<c>axes</c> become int64 inputs. TopK (&lt; 10): <c>k</c> becomes an input.</item>
/// <item>Squeeze, Unsqueeze, ReduceSum (<c>axes</c>) and Split (<c>split</c>) (&lt; 13): the attribute becomes an int64
/// input. Other Reduce* ops keep their attribute (it moved only at opset 18).</item>
/// <item>Dropout (&lt; 12): an identity at inference, so it becomes Identity. A Dropout whose mask output is read is
/// refused: before 12 the inference mask is unspecified (ONNX Runtime returns all false; opset 13 defines all true).</item>
/// <item>Upsample (deprecated at 10) and opset-10 Resize become Resize-13 with an empty roi,
/// <c>coordinate_transformation_mode=asymmetric</c> (the only mode before 11) and, for nearest, the rounding ONNX
/// Runtime used before 11: <c>floor</c> when scaling up, <c>ceil</c> when scaling down. A nearest Resize-10 whose
/// scales are computed, or go both up and down, is refused.</item>
/// <item>Softmax, LogSoftmax, Hardmax (&lt; 13): before 13 they flatten the input to 2-D at <c>axis</c> (default 1) and
/// normalize over everything after it; from 13 they normalize over <c>axis</c> alone. When the axis is provably the last
/// (it is -1, or the declared rank says so) the node keeps its axis, written explicitly; otherwise it becomes
/// Flatten(axis) → op(axis=1) → Reshape(Shape(input)), exact for every rank (a tensor with a zero-sized axis after
/// the second may fail in the Reshape, where 0 means "copy").</item>
/// <item>BatchNormalization (&lt; 9): the <c>spatial</c> attribute is dropped (<c>spatial=0</c> is refused).
/// Scatter (deprecated at 11) becomes ScatterElements. Scan before 9 (batch-major semantics) is refused.</item>
/// </list>
/// <para>All other default-domain ops must be on an explicit list of ops whose behaviour on valid older models did not
/// change up to 13; any op on neither list makes the pass refuse with a <see cref="ShrinkException"/> naming every such
/// node, before anything is modified. Subgraphs (If, Loop, Scan bodies) are checked and rewritten the same way. Finally
/// the default-domain opset import is set to 13 and the IR version raised to at least 7. Models at opset 13 or later are
/// left untouched; models older than opset 7 (other broadcasting rules) are refused; a model with no default-domain node
/// only gets the new import.</para>
/// </remarks>
public sealed class UpgradeOpset : IGraphPass
{
    /// <summary>The oldest default-domain opset the pass upgrades from.</summary>
    public const long OldestSupportedOpset = 7;

    private static readonly HashSet<string> Rewritten = new(StringComparer.Ordinal)
    {
        "BatchNormalization", "Clip", "Dropout", "Hardmax", "LogSoftmax", "Pad", "ReduceSum", "Resize", "Scan", "Scatter",
        "Slice", "Softmax", "Split", "Squeeze", "TopK", "Unsqueeze", "Upsample",
    };

    // Ops whose behaviour on a valid model of opset 7-12 is the same at opset 13 (changes in between only added types,
    // negative axes, optional inputs or attributes whose defaults keep the old behaviour).
    private static readonly HashSet<string> Unchanged = new(StringComparer.Ordinal)
    {
        "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool",
        "BitShift", "Cast", "Ceil", "Celu", "Compress", "Concat", "ConcatFromSequence", "Constant", "ConstantOfShape",
        "Conv", "ConvInteger", "ConvTranspose", "Cos", "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Det", "Div",
        "DynamicQuantizeLinear", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "GRU",
        "Gather", "GatherElements", "GatherND", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater",
        "GreaterOrEqual", "HardSigmoid", "Identity", "If", "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LSTM",
        "LeakyRelu", "Less", "LessOrEqual", "Log", "Loop", "LpNormalization", "LpPool", "MatMul", "MatMulInteger", "Max",
        "MaxPool", "MaxRoiPool", "MaxUnpool", "Mean", "MeanVarianceNormalization", "Min", "Mod", "Mul", "Multinomial", "Neg",
        "NegativeLogLikelihoodLoss", "NonMaxSuppression", "NonZero", "Not", "OneHot", "Or", "PRelu", "Pow", "QLinearConv",
        "QLinearMatMul", "QuantizeLinear", "RNN", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
        "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
        "ReduceMin", "ReduceProd", "ReduceSumSquare", "Relu", "Reshape", "ReverseSequence", "RoiAlign", "Round",
        "ScatterElements", "ScatterND", "Selu", "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase",
        "SequenceInsert", "SequenceLength", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Softplus",
        "SoftmaxCrossEntropyLoss", "Softsign", "SpaceToDepth", "SplitToSequence", "Sqrt", "StringNormalizer", "Sub", "Sum",
        "Tan", "Tanh", "TfIdfVectorizer", "ThresholdedRelu", "Tile", "Transpose", "Unique", "Where", "Xor",
    };

    // Ops whose output has the element type of their first input; used to find the type Clip and Pad constants need.
    private static readonly HashSet<string> KeepsInputType = new(StringComparer.Ordinal)
    {
        "Abs", "Add", "AveragePool", "BatchNormalization", "Ceil", "Clip", "Concat", "Conv", "ConvTranspose", "Cos",
        "DepthToSpace", "Div", "Dropout", "Elu", "Erf", "Exp", "Expand", "Flatten", "Floor", "Gather", "GatherElements",
        "Gemm", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid", "Identity", "InstanceNormalization", "LRN", "LeakyRelu",
        "Log", "LogSoftmax", "MatMul", "Max", "MaxPool", "Mean", "Min", "Mul", "Neg", "PRelu", "Pad", "Pow", "Reciprocal",
        "ReduceMax", "ReduceMean", "ReduceMin", "ReduceSum", "Relu", "Reshape", "Resize", "Round", "Selu", "Sigmoid", "Sin",
        "Slice", "Softmax", "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Tile",
        "Transpose", "Unsqueeze", "Upsample",
    };

    /// <summary>Creates the pass; only opset 13 is supported as the target.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The target is not 13.</exception>
    public UpgradeOpset(int target = 13)
    {
        if (target != 13)
            throw new ArgumentOutOfRangeException(nameof(target), target, "UpgradeOpset supports opset 13 as the target only.");
        Target = target;
    }

    /// <summary>The default-domain opset models are upgraded to.</summary>
    public int Target { get; }

    /// <inheritdoc />
    public string Name => "upgrade-opset";

    /// <summary>The ops the pass rewrites (or checks) when their opset predates a change.</summary>
    public static IReadOnlyCollection<string> RewrittenOps => Rewritten;

    /// <summary>The ops the pass knows need no change between opset 7 and 13.</summary>
    public static IReadOnlyCollection<string> UnchangedOps => Unchanged;

    /// <summary>True when a default-domain op is one the pass can take to opset 13 (rewritten or unchanged).</summary>
    public static bool IsKnownOp(string opType) => Rewritten.Contains(opType) || Unchanged.Contains(opType);

    /// <inheritdoc />
    /// <exception cref="ShrinkException">The model is older than opset 7, or has nodes the pass cannot upgrade (all are
    /// named); the model is then left unchanged.</exception>
    public GraphPassResult Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        long from = model.OpsetVersion();
        if (from >= Target) return GraphPassResult.None;
        var main = model.Graph;
        var graphs = new List<(ModelGraph Graph, string Where)> { (main, "") };
        CollectSubgraphs(main, "", graphs);
        if (!graphs.Any(g => g.Graph.Nodes.Any(IsDefaultDomain)))
        {
            // Only other domains (ai.onnx.ml...): nothing to rewrite, and later passes may add opset-13 nodes.
            SetTarget(model);
            return new GraphPassResult(1, [$"opset {from} → {Target} (no default-domain nodes)"]);
        }
        if (from == 0) from = 1; // default-domain nodes without an import: opset 1
        if (from < OldestSupportedOpset)
            throw new ShrinkException($"{model.Name}: opset {from} is older than {OldestSupportedOpset} (broadcasting and several operators worked differently); re-export the model with opset 13 or later.");

        var problems = new List<string>();
        foreach (var (graph, where) in graphs)
            foreach (var node in graph.Nodes.Where(IsDefaultDomain))
                if (Check(graph, node, from) is { } problem) problems.Add($"'{node.DisplayName}' ({node.OpType}{where}): {problem}");
        if (problems.Count > 0)
            throw new ShrinkException($"{model.Name}: cannot upgrade opset {from} to {Target}; these nodes have no upgrade: {string.Join("; ", problems)}.");

        var names = new Namer(graphs.Select(g => g.Graph));
        var details = new List<string> { $"opset {from} → {Target}" };
        foreach (var (graph, where) in graphs)
        {
            foreach (var node in graph.Nodes.Where(IsDefaultDomain).ToList())
            {
                string before = $"{node.DisplayName} ({node.OpType}{where})";
                if (Rewrite(graph, node, from, names) is { } what) details.Add($"{before}: {what}");
            }
            if (!ReferenceEquals(graph, main)) graph.SyncToProto();
        }
        SetTarget(model);
        return new GraphPassResult(details.Count, details);
    }

    // Opset 13 came with IR version 7.
    private void SetTarget(OnnxModel model)
    {
        model.SetOpsetVersion("", Target);
        if (model.Proto.IrVersion < 7) model.Proto.IrVersion = 7;
    }

    private static bool IsDefaultDomain(Node node) => node.Domain.Length == 0 || node.Domain == "ai.onnx";

    // Every subgraph (If branches, Loop and Scan bodies), depth first, wrapped so the same rewrites apply.
    private static void CollectSubgraphs(ModelGraph graph, string where, List<(ModelGraph, string)> into)
    {
        foreach (var node in graph.Nodes.Where(n => n.HasSubgraph))
        {
            foreach (var attribute in node.Proto.Attribute)
            {
                var bodies = attribute.G is not null ? attribute.Graphs.Prepend(attribute.G) : attribute.Graphs;
                foreach (var body in bodies)
                {
                    var sub = new ModelGraph(body);
                    string label = $"{where} in the {attribute.Name} of '{node.DisplayName}'";
                    into.Add((sub, label));
                    CollectSubgraphs(sub, label, into);
                }
            }
        }
    }

    // Null when the node can be upgraded; otherwise why not.
    private static string? Check(ModelGraph graph, Node node, long from)
    {
        if (!IsKnownOp(node.OpType)) return "no known upgrade for this operator";
        switch (node.OpType)
        {
            case "Scan" when from < 9:
                return "Scan before opset 9 has a batch axis; its semantics differ";
            case "BatchNormalization" when from < 9 && node.GetInt("spatial", 1) == 0:
                return "spatial=0 (per-activation statistics) has no opset-13 form";
            case "Dropout" when from < 12 && IsRead(graph, node, 1):
                return "its mask output is read; before opset 12 the inference mask is unspecified (ONNX Runtime gives all false, opset 13 all true)";
            case "Resize" when from < 11 && node.GetString("mode", "nearest") == "nearest":
                return NearestRoundingFor(graph, node) is null
                    ? "nearest Resize-10 rounds down when scaling up and up when scaling down; its scales must be constant and go one way"
                    : null;
            case "Upsample" or "Resize" when (node.OpType == "Upsample" || from < 11) && ResizeMode(node.GetString("mode", "nearest")) is null:
                return $"unknown mode '{node.GetString("mode", "nearest")}'";
            case "Slice" when from < 10 && (node.GetInts("starts") is null || node.GetInts("ends") is null):
                return "starts or ends is missing";
            case "Pad" when from < 11 && node.GetInts("pads") is null:
                return "pads is missing";
            case "Upsample" when node.Inputs.Count < 2 && node.Attribute("scales") is null:
                return "scales is missing";
            default:
                return null;
        }
    }

    private static bool IsRead(ModelGraph graph, Node node, int output) =>
        node.Outputs.Count > output && node.Outputs[output].Length > 0
        && (graph.Consumers(node.Outputs[output]).Count > 0 || graph.IsGraphOutput(node.Outputs[output]));

    private static string? ResizeMode(string mode) => mode switch
    {
        "nearest" => "nearest",
        "linear" or "bilinear" => "linear",
        _ => null,
    };

    // ONNX Runtime's opset-10 nearest resize truncates scaled-up axes and rounds scaled-down axes up.
    private static string? NearestRoundingFor(ModelGraph graph, Node node)
    {
        if (node.OpType == "Upsample") return "floor";
        if (node.Inputs.Count < 2 || ConstantValue(graph, node.Inputs[1]) is not { } scales) return null;
        var values = scales.Type == ElementType.Float ? scales.ToFloatArray() : null;
        if (values is null) return null;
        bool up = values.All(v => v >= 1f), down = values.All(v => v <= 1f);
        return up ? "floor" : down ? "ceil" : null;
    }

    // An initializer, or the value of a Constant node holding a tensor.
    private static TensorData? ConstantValue(ModelGraph graph, string name)
    {
        if (graph.FindInitializer(name) is { } t) return t;
        var producer = graph.Producer(name);
        if (producer is { OpType: "Constant" } && IsDefaultDomain(producer) && producer.Attribute("value")?.T is { } value)
            return new TensorData(value);
        return null;
    }

    // Returns a description of the change, or null when the node needed none.
    private static string? Rewrite(ModelGraph graph, Node node, long from, Namer names)
    {
        switch (node.OpType)
        {
            case "Clip" when from < 11:
                return RewriteClip(graph, node, names);
            case "Pad" when from < 11:
                return RewritePad(graph, node, names);
            case "Slice" when from < 10:
                {
                    var starts = node.GetInts("starts")!.ToArray();
                    var ends = node.GetInts("ends")!.ToArray();
                    var axes = node.GetInts("axes")?.ToArray();
                    foreach (var a in (string[])["starts", "ends", "axes"]) node.RemoveAttribute(a);
                    graph.AddInput(node, AddInt64s(graph, node, "starts", starts, names));
                    graph.AddInput(node, AddInt64s(graph, node, "ends", ends, names));
                    if (axes is not null) graph.AddInput(node, AddInt64s(graph, node, "axes", axes, names));
                    return "starts/ends/axes attributes → inputs";
                }
            case "TopK" when from < 10:
                {
                    long k = node.GetInt("k", 1);
                    node.RemoveAttribute("k");
                    graph.AddInput(node, AddInt64s(graph, node, "k", [k], names));
                    return "k attribute → input";
                }
            case "Squeeze" or "Unsqueeze" or "ReduceSum" or "Split":
                {
                    string attribute = node.OpType == "Split" ? "split" : "axes";
                    var values = node.GetInts(attribute)?.ToArray();
                    if (node.Attribute(attribute) is null) return null;
                    node.RemoveAttribute(attribute);
                    if (values is null || values.Length == 0) return $"empty {attribute} attribute dropped";
                    TrimInputs(graph, node, 1); // before 13 the data input is the only one
                    graph.AddInput(node, AddInt64s(graph, node, attribute, values, names));
                    return $"{attribute} attribute → input";
                }
            case "Dropout" when from < 12:
                Replace(graph, node, "Identity", [node.Inputs[0]], [node.Outputs[0]]);
                return "→ Identity (inference)";
            case "Upsample":
            case "Resize" when from < 11:
                return RewriteResize(graph, node, names);
            case "Softmax" or "LogSoftmax" or "Hardmax" when from < 13:
                return RewriteSoftmax(graph, node, names);
            case "BatchNormalization" when from < 9:
                return node.RemoveAttribute("spatial") ? "spatial attribute dropped" : null;
            case "Scatter":
                node.Proto.OpType = "ScatterElements";
                return "→ ScatterElements";
            default:
                return null;
        }
    }

    private static void TrimInputs(ModelGraph graph, Node node, int count)
    {
        while (node.Proto.Input.Count > count) node.Proto.Input.RemoveAt(node.Proto.Input.Count - 1);
        graph.SetInput(node, 0, node.Inputs[0]); // refreshes the graph's indexes
    }

    private static string RewriteClip(ModelGraph graph, Node node, Namer names)
    {
        var min = node.Attribute("min");
        var max = node.Attribute("max");
        node.RemoveAttribute("min");
        node.RemoveAttribute("max");
        if (min is null && max is null) return "no bounds";
        var type = FloatTypeOf(graph, node.Inputs[0]);
        TrimInputs(graph, node, 1);
        graph.AddInput(node, min is null ? "" : AddScalar(graph, node, "min", min.F, type, names));
        if (max is not null) graph.AddInput(node, AddScalar(graph, node, "max", max.F, type, names));
        return "min/max attributes → inputs";
    }

    private static string RewritePad(ModelGraph graph, Node node, Namer names)
    {
        var pads = node.GetInts("pads")!.ToArray();
        float value = node.GetFloat("value", 0f);
        node.RemoveAttribute("pads");
        node.RemoveAttribute("value");
        TrimInputs(graph, node, 1);
        graph.AddInput(node, AddInt64s(graph, node, "pads", pads, names));
        if (value != 0f || float.IsNegative(value))
            graph.AddInput(node, AddScalar(graph, node, "value", value, FloatTypeOf(graph, node.Inputs[0]), names));
        return "pads/value attributes → inputs";
    }

    private static string RewriteResize(ModelGraph graph, Node node, Namer names)
    {
        string mode = ResizeMode(node.GetString("mode", "nearest"))!;
        string? rounding = mode == "nearest" ? NearestRoundingFor(graph, node) : null;
        string scales = node.Inputs.Count >= 2 && node.Inputs[1].Length > 0
            ? node.Inputs[1]
            : AddFloats(graph, node, "scales", node.Attribute("scales")!.Floats.ToArray(), names);
        string was = node.OpType;
        var resize = Replace(graph, node, "Resize", [node.Inputs[0], "", scales], [node.Outputs[0]]);
        resize.SetString("mode", mode);
        // Before opset 11 the only coordinate mapping was x_original = x_resized / scale.
        resize.SetString("coordinate_transformation_mode", "asymmetric");
        if (rounding is not null) resize.SetString("nearest_mode", rounding);
        return $"{was} → Resize (asymmetric{(rounding is null ? "" : ", nearest_mode " + rounding)})";
    }

    // Before 13 these ops flatten the input to 2-D at 'axis' (default 1) and normalize over everything after it.
    private static string? RewriteSoftmax(ModelGraph graph, Node node, Namer names)
    {
        long axis = node.GetInt("axis", 1);
        int? rank = graph.FindValueInfo(node.Inputs[0])?.Shape?.Count;
        bool last = axis == -1 || (rank is int r && axis == r - 1);
        if (last)
        {
            if (node.Attribute("axis") is not null) return null;
            node.SetInt("axis", axis); // the default changed from 1 to -1; keep the old value explicit
            return "axis 1 written explicitly";
        }
        string x = node.Inputs[0], y = node.Outputs[0];
        string stem = Stem(node);
        string flat = names.Next(stem + "_2d_in"), normalized = names.Next(stem + "_2d_out"), shape = names.Next(stem + "_shape");
        int at = graph.IndexOf(node);
        var flatten = graph.AddNode("Flatten", [x], [flat], names.Next(stem + "_flatten"), insertAt: at);
        flatten.SetInt("axis", axis);
        graph.AddNode("Shape", [x], [shape], names.Next(stem + "_input_shape"), insertAt: at);
        graph.SetInput(node, 0, flat);
        graph.SetOutput(node, 0, normalized);
        node.SetInt("axis", 1);
        graph.AddNode("Reshape", [normalized, shape], [y], names.Next(stem + "_reshape"), insertAt: graph.IndexOf(node) + 1);
        return $"axis {axis} of a rank-{(rank is int k ? k.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")} input → Flatten, {node.OpType}(axis=1), Reshape";
    }

    // Swaps a node for a new one at the same position, keeping its name.
    private static Node Replace(ModelGraph graph, Node node, string opType, string[] inputs, string[] outputs)
    {
        int at = graph.IndexOf(node);
        graph.RemoveNode(node);
        var replacement = graph.AddNode(opType, inputs, outputs, node.Name, insertAt: at);
        if (node.Proto.DocString.Length > 0) replacement.Proto.DocString = node.Proto.DocString;
        return replacement;
    }

    private static string Stem(Node node) => node.Name.Length > 0 ? node.Name : node.Outputs.Count > 0 ? node.Outputs[0] : node.OpType;

    private static string AddInt64s(ModelGraph graph, Node node, string what, long[] values, Namer names)
    {
        string name = names.Next($"{Stem(node)}_{what}");
        graph.SetInitializer(TensorData.Create<long>(name, [values.Length], values, ElementType.Int64));
        return name;
    }

    private static string AddFloats(ModelGraph graph, Node node, string what, float[] values, Namer names)
    {
        string name = names.Next($"{Stem(node)}_{what}");
        graph.SetInitializer(TensorData.FromFloats(name, [values.Length], values));
        return name;
    }

    private static string AddScalar(ModelGraph graph, Node node, string what, float value, ElementType type, Namer names)
    {
        string name = names.Next($"{Stem(node)}_{what}");
        var tensor = type switch
        {
            ElementType.Double => TensorData.Create<double>(name, [], [value], ElementType.Double),
            ElementType.Float16 => TensorData.Create(name, [], [(Half)value], ElementType.Float16),
            _ => TensorData.FromFloats(name, [], [value]),
        };
        graph.SetInitializer(tensor);
        return name;
    }

    // The floating element type of a value (Clip-6 and Pad-2 accept float16, float and double only): from declared
    // types, or followed back through ops that keep their input's type; float when nothing says otherwise.
    private static ElementType FloatTypeOf(ModelGraph graph, string value)
    {
        for (int depth = 0; depth < 256 && value.Length > 0; depth++)
        {
            if (graph.FindValueInfo(value) is { Type: not ElementType.Undefined } info) return AsFloatType(info.Type);
            var producer = graph.Producer(value);
            if (producer is null || !IsDefaultDomain(producer)) break;
            if (producer.OpType == "Cast") return AsFloatType((ElementType)producer.GetInt("to", (long)ElementType.Float));
            if (producer.OpType == "Constant" && producer.Attribute("value")?.T is { } t) return AsFloatType((ElementType)t.DataType);
            if (!KeepsInputType.Contains(producer.OpType) || producer.Inputs.Count == 0) break;
            value = producer.Inputs[0];
        }
        return ElementType.Float;
    }

    private static ElementType AsFloatType(ElementType type) => type is ElementType.Double or ElementType.Float16 ? type : ElementType.Float;

    /// <summary>Hands out names unused in the main graph and every subgraph (so no new name shadows an outer value).</summary>
    private sealed class Namer
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public Namer(IEnumerable<ModelGraph> graphs)
        {
            foreach (var g in graphs)
            {
                foreach (var v in g.Proto.Input.Concat(g.Proto.Output).Concat(g.Proto.ValueInfo)) _used.Add(v.Name);
                foreach (var name in g.Initializers.Keys) _used.Add(name);
                foreach (var node in g.Nodes)
                {
                    _used.UnionWith(node.Inputs);
                    _used.UnionWith(node.Outputs);
                    if (node.Name.Length > 0) _used.Add(node.Name);
                }
            }
        }

        public string Next(string stem)
        {
            string candidate = stem;
            for (int i = 1; !_used.Add(candidate); i++) candidate = $"{stem}_{i}";
            return candidate;
        }
    }
}
