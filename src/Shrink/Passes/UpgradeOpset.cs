using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Passes;

/// <summary>
/// Upgrades the default-domain opset of a model at opset 7 or later to a target opset from 13 to 21 (13 unless told),
/// rewriting the operators whose signature or meaning changed in between so that the upgraded model computes the same
/// outputs.
/// </summary>
/// <remarks>
/// <para>Rewrites up to opset 13 (each only when the model's opset predates the change):</para>
/// <list type="bullet">
/// <item>Clip (&lt; 11): <c>min</c>/<c>max</c> attributes become scalar inputs of the input's element type.</item>
/// <item>Pad (&lt; 11): <c>pads</c> becomes an int64 input, a non-zero <c>value</c> a scalar input; <c>mode</c> stays.</item>
/// <item>Slice (&lt; 10): <c>starts</c>/<c>ends</c>/<c>axes</c> become int64 inputs. TopK (&lt; 10): <c>k</c> becomes an input.</item>
/// <item>Squeeze, Unsqueeze, ReduceSum (<c>axes</c>) and Split (<c>split</c>) (&lt; 13): the attribute becomes an int64
/// input. The other Reduce* ops keep their attribute up to a target of 17 (it moved only at opset 18).</item>
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
/// <para>Rewrites past opset 13, only when the target reaches the change and the model predates it:</para>
/// <list type="bullet">
/// <item>BatchNormalization (14): a node with outputs beyond <c>Y</c> is refused (before 14 they meant training
/// mode; from 14 that is the <c>training_mode</c> attribute and outputs 3 and 4 are gone).</item>
/// <item>RoiAlign (16): the default <c>coordinate_transformation_mode</c> became <c>half_pixel</c>; the old behaviour,
/// <c>output_half_pixel</c>, is written explicitly.</item>
/// <item>ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceMax, ReduceMean, ReduceMin, ReduceProd and
/// ReduceSumSquare (18): the <c>axes</c> attribute becomes an int64 input; no (or an empty) attribute gives no input,
/// which with the default <c>noop_with_empty_axes=0</c> still reduces over every axis.</item>
/// <item>Split (18): without a <c>split</c> input, <c>num_outputs</c> is required and is set to the node's output
/// count (older models had to split evenly, where both readings agree).</item>
/// <item>DFT (20): the <c>axis</c> attribute (default 1) becomes a scalar int64 input.
/// GridSample (20): the modes <c>bilinear</c>/<c>bicubic</c> are renamed <c>linear</c>/<c>cubic</c>.</item>
/// <item>GroupNormalization (21): scale and bias became per channel instead of per group; refused.</item>
/// </list>
/// <para>All other default-domain ops must be on an explicit list of ops whose behaviour on valid older models did not
/// change up to 21 (later versions only added types, optional inputs or attributes whose defaults keep the old
/// behaviour: Reshape-14 <c>allowzero</c>, Shape-15 <c>start</c>/<c>end</c>, the recurrent ops' <c>layout</c>,
/// ScatterElements/ScatterND <c>reduction</c>, Pad-18/19, Resize-18/19, AveragePool-19 <c>dilations</c>, Cast-19
/// <c>saturate</c>, LpPool-18 <c>ceil_mode</c>...), or be an op added after 13 (HardSwish, Trilu, CastLike,
/// LayerNormalization, Mish, Gelu...) in a model whose opset already has it. Any other node makes the pass refuse with a
/// <see cref="ShrinkException"/> naming every such node, before anything is modified. Subgraphs (If, Loop, Scan bodies)
/// are checked and rewritten the same way. Finally the default-domain opset import is set to the target and the IR
/// version raised to at least the one the target came with (7 for 13 and 14, 8 for 15 to 18, 9 for 19 and 20, 10 for
/// 21). Models at the target or later are left untouched; models older than opset 7 (other broadcasting rules) are
/// refused; a model with no default-domain node only gets the new import.</para>
/// </remarks>
[Registered("upgrade-opset", "raises the default-domain opset, refusing ops whose behaviour changed", Order = 3)]
public sealed class UpgradeOpset : IGraphPass
{
    /// <summary>The oldest default-domain opset the pass upgrades from.</summary>
    public const long OldestSupportedOpset = 7;

    /// <summary>The oldest target opset (and the default one).</summary>
    public const int OldestTarget = 13;

    /// <summary>The newest target opset.</summary>
    public const int NewestTarget = 21;

    private static readonly HashSet<string> Rewritten = new(StringComparer.Ordinal)
    {
        "BatchNormalization", "Clip", "DFT", "Dropout", "GridSample", "GroupNormalization", "Hardmax", "LogSoftmax", "Pad",
        "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd",
        "ReduceSum", "ReduceSumSquare", "Resize", "RoiAlign", "Scan", "Scatter", "Slice", "Softmax", "Split", "Squeeze",
        "TopK", "Unsqueeze", "Upsample",
    };

    // The reductions whose 'axes' attribute became an input at opset 18 (ReduceSum's moved at 13).
    private static readonly HashSet<string> AxesInputAt18 = new(StringComparer.Ordinal)
    {
        "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd",
        "ReduceSumSquare",
    };

    // Ops added after opset 13, with the opset that added them: a model can use them only from that opset on. Later
    // versions up to 21 only added types or optional attributes, except DFT, GridSample (20) and GroupNormalization (21),
    // which are also in Rewritten.
    private static readonly Dictionary<string, int> AddedAfter13 = new(StringComparer.Ordinal)
    {
        ["HardSwish"] = 14,
        ["Trilu"] = 14,
        ["Bernoulli"] = 15,
        ["CastLike"] = 15,
        ["Optional"] = 15,
        ["OptionalGetElement"] = 15,
        ["OptionalHasElement"] = 15,
        ["GridSample"] = 16,
        ["BlackmanWindow"] = 17,
        ["DFT"] = 17,
        ["HammingWindow"] = 17,
        ["HannWindow"] = 17,
        ["LayerNormalization"] = 17,
        ["MelWeightMatrix"] = 17,
        ["STFT"] = 17,
        ["SequenceMap"] = 17,
        ["BitwiseAnd"] = 18,
        ["BitwiseNot"] = 18,
        ["BitwiseOr"] = 18,
        ["BitwiseXor"] = 18,
        ["CenterCropPad"] = 18,
        ["Col2Im"] = 18,
        ["GroupNormalization"] = 18,
        ["Mish"] = 18,
        ["DeformConv"] = 19,
        ["AffineGrid"] = 20,
        ["Gelu"] = 20,
        ["ImageDecoder"] = 20,
        ["RegexFullMatch"] = 20,
        ["StringConcat"] = 20,
        ["StringSplit"] = 20,
    };

    // Ops whose behaviour on a valid model of opset 7-20 is the same at opset 21 (changes in between only added types,
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
        "Range", "Reciprocal", "Relu", "Reshape", "ReverseSequence", "Round",
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

    /// <summary>Creates the pass for a target opset from <see cref="OldestTarget"/> to <see cref="NewestTarget"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The target is below 13 or above 21.</exception>
    public UpgradeOpset(int target = OldestTarget)
    {
        if (target is < OldestTarget or > NewestTarget)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"UpgradeOpset supports target opsets {OldestTarget} to {NewestTarget}.");
        Target = target;
    }

    /// <summary>The default-domain opset models are upgraded to.</summary>
    public int Target { get; }

    /// <inheritdoc />
    public string Name => "upgrade-opset";

    /// <summary>The ops the pass rewrites (or checks) when their opset predates a change.</summary>
    public static IReadOnlyCollection<string> RewrittenOps => Rewritten;

    /// <summary>The ops the pass knows need no change between opset 7 and 21.</summary>
    public static IReadOnlyCollection<string> UnchangedOps => Unchanged;

    /// <summary>The ops added after opset 13, with the opset that added each.</summary>
    public static IReadOnlyDictionary<string, int> OpsAddedAfter13 => AddedAfter13;

    /// <summary>True when a default-domain op is one the pass knows (rewritten, unchanged or added after 13).</summary>
    public static bool IsKnownOp(string opType) => Rewritten.Contains(opType) || Unchanged.Contains(opType) || AddedAfter13.ContainsKey(opType);

    /// <summary>True when a default-domain op is one the pass knows and exists at the given opset.</summary>
    public static bool IsKnownOp(string opType, long opset) =>
        IsKnownOp(opType) && (!AddedAfter13.TryGetValue(opType, out int since) || opset >= since);

    /// <summary>The IR version that came with a default-domain opset (ONNX 1.8: IR 7 and opset 13 ... ONNX 1.16: IR 10 and opset 21).</summary>
    public static long IrVersionFor(long opset) => opset switch
    {
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

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
            throw new ShrinkException($"{model.Name}: opset {from} is older than {OldestSupportedOpset} (broadcasting and several operators worked differently); re-export the model with opset {Target} or later.");

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

    private void SetTarget(OnnxModel model)
    {
        model.SetOpsetVersion("", Target);
        long ir = IrVersionFor(Target);
        if (model.IrVersion < ir) model.IrVersion = ir;
    }

    // True when the target reaches an opset that changed an op and the model predates it.
    private bool Crosses(long from, int version) => from < version && Target >= version;

    private static bool IsDefaultDomain(Node node) => node.Domain.Length == 0 || node.Domain == "ai.onnx";

    // Every subgraph (If branches, Loop and Scan bodies), depth first, wrapped so the same rewrites apply.
    private static void CollectSubgraphs(ModelGraph graph, string where, List<(ModelGraph, string)> into)
    {
        foreach (var node in graph.Nodes.Where(n => n.HasSubgraph))
        {
            foreach (var (attribute, sub) in node.Subgraphs())
            {
                string label = $"{where} in the {attribute} of '{node.DisplayName}'";
                into.Add((sub, label));
                CollectSubgraphs(sub, label, into);
            }
        }
    }

    // Null when the node can be upgraded; otherwise why not.
    private string? Check(ModelGraph graph, Node node, long from)
    {
        if (!IsKnownOp(node.OpType)) return "no known upgrade for this operator";
        if (AddedAfter13.TryGetValue(node.OpType, out int since) && from < since)
            return $"{node.OpType} was added at opset {since}, so it is not an opset-{from} operator";
        switch (node.OpType)
        {
            case "BatchNormalization" when Crosses(from, 14) && node.Outputs.Skip(1).Any(o => o.Length > 0):
                return "outputs beyond Y meant training mode before opset 14 (from 14 that is the training_mode attribute, and outputs 3 and 4 are gone)";
            case "GroupNormalization" when Crosses(from, 21):
                return "opset 21 takes scale and bias per channel where opset 18 took them per group; no rewrite is implemented";
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
            case "Upsample" when node.Inputs.Count < 2 && !node.HasAttribute("scales"):
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
        if (producer is { OpType: "Constant" } && IsDefaultDomain(producer) && producer.GetTensor("value") is { } value)
            return value;
        return null;
    }

    // Returns a description of the changes, or null when the node needed none.
    private string? Rewrite(ModelGraph graph, Node node, long from, Namer names)
    {
        var to13 = RewriteTo13(graph, node, from, names);
        // A node replaced by the first step (Dropout, Upsample, Resize-10) is no longer in the graph; its replacement
        // is an opset-13 node that needs nothing later.
        var after13 = to13 is null || graph.Contains(node) ? RewriteAfter13(graph, node, from, names) : null;
        return to13 is null ? after13 : after13 is null ? to13 : $"{to13}; {after13}";
    }

    // The changes past opset 13 that the target reaches.
    private string? RewriteAfter13(ModelGraph graph, Node node, long from, Namer names)
    {
        switch (node.OpType)
        {
            case "RoiAlign" when Crosses(from, 16):
                if (node.HasAttribute("coordinate_transformation_mode")) return null;
                node.SetString("coordinate_transformation_mode", "output_half_pixel"); // the default became half_pixel
                return "coordinate_transformation_mode output_half_pixel written explicitly";
            case var op when AxesInputAt18.Contains(op) && Crosses(from, 18):
                return AttributeToInput(graph, node, "axes", names);
            case "Split" when Crosses(from, 18):
                {
                    bool sized = node.Inputs.Count >= 2 && node.Inputs[1].Length > 0;
                    if (sized || node.HasAttribute("num_outputs")) return null;
                    node.SetInt("num_outputs", node.Outputs.Count);
                    return $"num_outputs={node.Outputs.Count} written (required from opset 18 without split sizes)";
                }
            case "DFT" when Crosses(from, 20):
                {
                    long axis = node.GetInt("axis", 1);
                    node.RemoveAttribute("axis");
                    while (node.Inputs.Count < 2) graph.AddInput(node, "");
                    string name = names.Next($"{Stem(node)}_axis");
                    graph.SetInitializer(TensorData.Create<long>(name, [], [axis], ElementType.Int64));
                    graph.AddInput(node, name);
                    return $"axis {axis} → input";
                }
            case "GridSample" when Crosses(from, 20):
                {
                    string mode = node.GetString("mode", "bilinear");
                    string renamed = mode switch { "bilinear" => "linear", "bicubic" => "cubic", _ => mode };
                    if (!node.HasAttribute("mode") || renamed == mode) return null;
                    node.SetString("mode", renamed);
                    return $"mode {mode} → {renamed}";
                }
            default:
                return null;
        }
    }

    // The changes up to opset 13.
    private static string? RewriteTo13(ModelGraph graph, Node node, long from, Namer names)
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
                return AttributeToInput(graph, node, node.OpType == "Split" ? "split" : "axes", names);
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
                node.SetOpType("ScatterElements");
                return "→ ScatterElements";
            default:
                return null;
        }
    }

    // An ints attribute that became the node's second input (the data input being the only one before the change).
    private static string? AttributeToInput(ModelGraph graph, Node node, string attribute, Namer names)
    {
        var values = node.GetInts(attribute)?.ToArray();
        if (!node.HasAttribute(attribute)) return null;
        node.RemoveAttribute(attribute);
        if (values is null || values.Length == 0) return $"empty {attribute} attribute dropped";
        TrimInputs(graph, node, 1);
        graph.AddInput(node, AddInt64s(graph, node, attribute, values, names));
        return $"{attribute} attribute → input";
    }

    private static void TrimInputs(ModelGraph graph, Node node, int count)
    {
        node.TruncateInputs(count);
        graph.SetInput(node, 0, node.Inputs[0]); // refreshes the graph's indexes
    }

    private static string RewriteClip(ModelGraph graph, Node node, Namer names)
    {
        float? min = node.HasAttribute("min") ? node.GetFloat("min", 0f) : null;
        float? max = node.HasAttribute("max") ? node.GetFloat("max", 0f) : null;
        node.RemoveAttribute("min");
        node.RemoveAttribute("max");
        if (min is null && max is null) return "no bounds";
        var type = FloatTypeOf(graph, node.Inputs[0]);
        TrimInputs(graph, node, 1);
        graph.AddInput(node, min is null ? "" : AddScalar(graph, node, "min", min.Value, type, names));
        if (max is not null) graph.AddInput(node, AddScalar(graph, node, "max", max.Value, type, names));
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
            : AddFloats(graph, node, "scales", node.GetFloats("scales")!.ToArray(), names);
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
            if (node.HasAttribute("axis")) return null;
            node.SetInt("axis", axis); // the default changed from 1 to -1; keep the old value explicit
            return "axis 1 written explicitly";
        }
        string x = node.Inputs[0], y = node.Outputs[0];
        string stem = Stem(node);
        string flat = names.Next(stem + "_2d_in"), normalized = names.Next(stem + "_2d_out"), shape = names.Next(stem + "_shape");
        var flatten = graph.AddNodeBefore(node, "Flatten", [x], [flat], names.Next(stem + "_flatten"));
        flatten.SetInt("axis", axis);
        graph.AddNodeBefore(flatten, "Shape", [x], [shape], names.Next(stem + "_input_shape"));
        graph.SetInput(node, 0, flat);
        graph.SetOutput(node, 0, normalized);
        node.SetInt("axis", 1);
        graph.AddNodeAfter(node, "Reshape", [normalized, shape], [y], names.Next(stem + "_reshape"));
        return $"axis {axis} of a rank-{(rank is int k ? k.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")} input → Flatten, {node.OpType}(axis=1), Reshape";
    }

    // Swaps a node for a new one at the same position, keeping its name.
    private static Node Replace(ModelGraph graph, Node node, string opType, string[] inputs, string[] outputs)
    {
        // Removed first so the replacement can take over the outputs in the graph's indexes.
        var next = node.Next;
        graph.RemoveNode(node);
        var replacement = next is null ? graph.AddNode(opType, inputs, outputs, node.Name) : graph.AddNodeBefore(next, opType, inputs, outputs, node.Name);
        if (node.DocString.Length > 0) replacement.DocString = node.DocString;
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
            if (producer.OpType == "Constant" && producer.GetTensor("value") is { } t) return AsFloatType(t.Type);
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
        private readonly Dictionary<string, int> _nextSuffix = new(StringComparer.Ordinal);

        public Namer(IEnumerable<ModelGraph> graphs)
        {
            foreach (var g in graphs)
            {
                foreach (var v in g.DeclaredValueNames) _used.Add(v);
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
            if (_used.Add(stem)) return stem;
            // Suffixes below the one remembered for this stem are all taken, so asking often for one stem stays cheap.
            int i = _nextSuffix.GetValueOrDefault(stem, 1);
            string candidate;
            do candidate = $"{stem}_{i++}";
            while (!_used.Add(candidate));
            _nextSuffix[stem] = i;
            return candidate;
        }
    }
}
