using Shrink.Onnx;

namespace Shrink.Graph.Passes;

/// <summary>
/// Upgrades the default-domain opset of a model at opset 9 to 12 to the target (13), rewriting the ops whose signature
/// changed in between: Clip, Pad, Slice, TopK (attributes became inputs), Squeeze, Unsqueeze, Split and ReduceSum
/// (axes/split became inputs at 13), Dropout (an identity at inference), Upsample (→ Resize) and opset-10 Resize, and
/// Softmax/LogSoftmax/Hardmax (the axis meaning changed at 13: they are rewritten as Flatten → op → Reshape unless the
/// axis is provably the last). Nodes it cannot upgrade make it refuse, listing each one.
/// </summary>
public sealed class UpgradeOpset(int target = 13) : IGraphPass
{
    // Ops whose signature did not change between opset 9 and 13 in a way that breaks a valid older model.
    private static readonly HashSet<string> Unchanged = new(StringComparer.Ordinal)
    {
        "Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan", "Atanh", "AveragePool", "BatchNormalization",
        "Cast", "Ceil", "Concat", "Constant", "ConstantOfShape", "Conv", "ConvTranspose", "Cos", "Cosh", "DepthToSpace", "Div", "Einsum",
        "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "GRU", "Gather", "GatherElements", "GatherND", "Gemm",
        "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater", "HardSigmoid", "Identity", "InstanceNormalization", "IsInf",
        "IsNaN", "LRN", "LSTM", "LeakyRelu", "Less", "Log", "LpNormalization", "LpPool", "MatMul", "MatMulInteger", "Max", "MaxPool",
        "MaxRoiPool", "MaxUnpool", "Mean", "Min", "Mod", "Mul", "Multinomial", "Neg", "NonMaxSuppression", "NonZero", "Not", "OneHot",
        "Or", "PRelu", "Pow", "RNN", "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Range", "Reciprocal",
        "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare",
        "Relu", "Reshape", "RoiAlign", "Round", "Selu", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Softplus",
        "Softsign", "SpaceToDepth", "Sqrt", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu", "Tile", "Transpose", "Where", "Xor",
        "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger", "Celu", "GatherND", "ScatterElements",
        "ScatterND", "CumSum", "Det", "Round", "BitShift", "DynamicQuantizeLinear", "MeanVarianceNormalization", "StringNormalizer",
        "TfIdfVectorizer", "Compress", "ReverseSequence", "Scatter", "SequenceEmpty", "SequenceInsert", "SequenceConstruct", "SequenceErase",
        "SequenceAt", "SequenceLength", "ConcatFromSequence", "SplitToSequence", "Optional", "OptionalHasElement", "OptionalGetElement",
    };

    /// <inheritdoc />
    public string Name => "upgrade-opset";

    /// <inheritdoc />
    public GraphPassResult Apply(OnnxModel model)
    {
        long from = model.OpsetVersion();
        if (from >= target) return GraphPassResult.None;
        string source = model.Name;
        if (from < 9)
            throw new ShrinkException($"{source}: opset {from} is older than 9; re-export the model with opset 13 or later.");
        var graph = model.Graph;
        var refused = graph.Nodes
            .Where(n => n.Domain.Length == 0 && !Unchanged.Contains(n.OpType) && !IsHandled(n.OpType))
            .Select(n => $"'{n.DisplayName}' ({n.OpType})").ToList();
        refused.AddRange(graph.Nodes.Where(n => n.Domain.Length == 0 && n.HasSubgraph).Select(n => $"'{n.DisplayName}' ({n.OpType} with a subgraph)"));
        if (refused.Count > 0)
            throw new ShrinkException($"{source}: cannot upgrade opset {from} to {target}; these nodes have no upgrade: {string.Join(", ", refused)}.");
        var details = new List<string>();
        foreach (var node in graph.Nodes.Where(n => n.Domain.Length == 0).ToList())
        {
            if (Rewrite(graph, node, from)) details.Add($"{node.DisplayName} ({node.OpType})");
        }
        model.SetOpsetVersion("", target);
        graph.SortTopologically();
        return new GraphPassResult(details.Count + 1, [$"opset {from} → {target}", .. details]);
    }

    private static bool IsHandled(string op) => op is "Clip" or "Pad" or "Slice" or "TopK" or "Squeeze" or "Unsqueeze" or "Split" or "ReduceSum"
        or "Dropout" or "Upsample" or "Resize" or "Softmax" or "LogSoftmax" or "Hardmax";

    private static bool Rewrite(ModelGraph graph, Node node, long from)
    {
        switch (node.OpType)
        {
            case "Clip" when from < 11:
                AttributesToInputs(graph, node, [("min", float.MinValue), ("max", float.MaxValue)]);
                return true;
            case "Pad" when from < 11:
                {
                    var pads = node.GetInts("pads") ?? node.GetInts("paddings") ?? [];
                    string p = Constant(graph, node, "pads", pads.ToArray());
                    string v = Scalar(graph, node, "value", node.GetFloat("value", 0f));
                    node.RemoveAttribute("pads");
                    node.RemoveAttribute("paddings");
                    node.RemoveAttribute("value");
                    graph.AddInput(node, p);
                    graph.AddInput(node, v);
                    return true;
                }
            case "Slice" when from < 10:
                {
                    var starts = node.GetInts("starts")!.ToArray();
                    var ends = node.GetInts("ends")!.ToArray();
                    var axes = node.GetInts("axes")?.ToArray();
                    foreach (var a in new[] { "starts", "ends", "axes" }) node.RemoveAttribute(a);
                    graph.AddInput(node, Constant(graph, node, "starts", starts));
                    graph.AddInput(node, Constant(graph, node, "ends", ends));
                    if (axes is not null) graph.AddInput(node, Constant(graph, node, "axes", axes));
                    return true;
                }
            case "TopK" when from < 10:
                {
                    long k = node.GetInt("k", 1);
                    node.RemoveAttribute("k");
                    graph.AddInput(node, Constant(graph, node, "k", [k]));
                    return true;
                }
            case "Squeeze" or "Unsqueeze" or "ReduceSum":
                {
                    var axes = node.GetInts("axes");
                    if (axes is null) return false;
                    node.RemoveAttribute("axes");
                    graph.AddInput(node, Constant(graph, node, "axes", axes.ToArray()));
                    return true;
                }
            case "Split":
                {
                    var split = node.GetInts("split");
                    if (split is null) return false;
                    node.RemoveAttribute("split");
                    graph.AddInput(node, Constant(graph, node, "split", split.ToArray()));
                    return true;
                }
            case "Dropout":
                {
                    // Inference: Dropout is the identity; a mask output, if read, would need training semantics.
                    node.Proto.OpType = "Identity";
                    node.Proto.Attribute.Clear();
                    while (node.Proto.Input.Count > 1) node.Proto.Input.RemoveAt(node.Proto.Input.Count - 1);
                    while (node.Proto.Output.Count > 1) node.Proto.Output.RemoveAt(node.Proto.Output.Count - 1);
                    return true;
                }
            case "Upsample":
            case "Resize" when from < 11:
                {
                    string mode = node.GetString("mode", "nearest");
                    string scales = node.OpType == "Upsample" && node.Inputs.Count < 2
                        ? Constant(graph, node, "scales", node.GetInts("scales")?.Select(v => (float)v).ToArray() ?? node.Attribute("scales")!.Floats.ToArray())
                        : node.Inputs[1];
                    node.Proto.OpType = "Resize";
                    node.Proto.Attribute.Clear();
                    node.SetString("mode", mode == "bilinear" ? "linear" : mode);
                    // Opset 9/10 resize semantics: asymmetric coordinates, nearest rounds down.
                    node.SetString("coordinate_transformation_mode", "asymmetric");
                    if (mode == "nearest") node.SetString("nearest_mode", "floor");
                    string x = node.Inputs[0];
                    node.Proto.Input.Clear();
                    node.Proto.Input.Add(x);
                    node.Proto.Input.Add("");
                    node.Proto.Input.Add(scales);
                    graph.SetInput(node, 0, x);
                    return true;
                }
            case "Softmax" or "LogSoftmax" or "Hardmax":
                return RewriteSoftmax(graph, node);
            default:
                return false;
        }
    }

    // Before 13 these flatten the input to 2-D at 'axis' (default 1) and normalize over everything after it.
    private static bool RewriteSoftmax(ModelGraph graph, Node node)
    {
        long axis = node.GetInt("axis", 1);
        var info = graph.FindValueInfo(node.Inputs[0]);
        int? rank = info?.Shape?.Count;
        if (rank is int r && (axis == r - 1 || axis == -1))
        {
            node.SetInt("axis", -1);
            return true;
        }
        string x = node.Inputs[0], y = node.Outputs[0];
        string flat = graph.UniqueName(x + "_flat"), normalized = graph.UniqueName(y + "_2d"), shape = graph.UniqueName(x + "_shape");
        int at = graph.IndexOf(node);
        var flatten = graph.AddNode("Flatten", [x], [flat], graph.UniqueName(node.DisplayName + "_flatten"), insertAt: at);
        flatten.SetInt("axis", axis);
        graph.AddNode("Shape", [x], [shape], graph.UniqueName(node.DisplayName + "_shape"), insertAt: at);
        graph.SetInput(node, 0, flat);
        graph.SetOutput(node, 0, normalized);
        node.SetInt("axis", 1);
        graph.AddNode("Reshape", [normalized, shape], [y], graph.UniqueName(node.DisplayName + "_reshape"), insertAt: graph.IndexOf(node) + 1);
        return true;
    }

    private static void AttributesToInputs(ModelGraph graph, Node node, (string Name, float Default)[] attributes)
    {
        foreach (var (name, fallback) in attributes)
        {
            float value = node.GetFloat(name, fallback);
            node.RemoveAttribute(name);
            while (node.Inputs.Count < 1 + Array.FindIndex(attributes, a => a.Name == name)) graph.AddInput(node, "");
            graph.AddInput(node, Scalar(graph, node, name, value));
        }
    }

    private static string Constant(ModelGraph graph, Node node, string what, long[] values)
    {
        string name = graph.UniqueName($"{node.DisplayName}_{what}");
        graph.SetInitializer(TensorData.Create<long>(name, [values.Length], values, ElementType.Int64));
        return name;
    }

    private static string Constant(ModelGraph graph, Node node, string what, float[] values)
    {
        string name = graph.UniqueName($"{node.DisplayName}_{what}");
        graph.SetInitializer(TensorData.FromFloats(name, [values.Length], values));
        return name;
    }

    private static string Scalar(ModelGraph graph, Node node, string what, float value)
    {
        string name = graph.UniqueName($"{node.DisplayName}_{what}");
        graph.SetInitializer(TensorData.FromFloats(name, [], [value]));
        return name;
    }
}
