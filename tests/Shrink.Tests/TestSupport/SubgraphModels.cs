using System.Runtime.InteropServices;
using Onnx;

namespace Shrink.Tests.TestSupport;

/// <summary>
/// Tiny models whose weights sit inside subgraphs (If branches, a Loop body, a Scan body), and a check that runs a model
/// and its compressed copy through ONNX Runtime on the same inputs.
/// </summary>
internal static class SubgraphModels
{
    private const int Bool = (int)TensorProto.Types.DataType.Bool;
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;

    /// <summary>
    /// x [batch,16], flag (bool scalar) → If 'branch' { then: MatMul 'mm_then' (W_then [16,8] held by the branch);
    /// else: Gemm 'gemm_else' with transB (W_else [8,16], b_else [8] held by the branch) } → y [batch,8].
    /// </summary>
    public static ModelProto IfWithInnerWeights()
    {
        var then = new GraphProto { Name = "then" };
        then.Initializer.Add(TinyModels.FloatTensor("W_then", [16, 8], TinyModels.RandomFloats(128, 31)));
        then.Node.Add(TinyModels.Node("MatMul", ["x", "W_then"], ["y_then"], "mm_then"));
        then.Output.Add(TinyModels.FloatInfo("y_then", "batch", 8));
        var otherwise = new GraphProto { Name = "else" };
        otherwise.Initializer.Add(TinyModels.FloatTensor("W_else", [8, 16], TinyModels.RandomFloats(128, 32)));
        otherwise.Initializer.Add(TinyModels.FloatTensor("b_else", [8], TinyModels.RandomFloats(8, 33)));
        var gemm = TinyModels.Node("Gemm", ["x", "W_else", "b_else"], ["y_else"], "gemm_else");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        otherwise.Node.Add(gemm);
        otherwise.Output.Add(TinyModels.FloatInfo("y_else", "batch", 8));
        return IfModel("if_inner", then, otherwise, []);
    }

    /// <summary>
    /// The same interface; the branches' MatMuls read W_outer_then and W_outer_else, initializers of the main graph, and
    /// both read W_shared ([8,8], main graph) after: then: MatMul(MatMul(x, W_outer_then), W_shared), else the same with
    /// W_outer_else.
    /// </summary>
    public static ModelProto IfWithOuterWeights()
    {
        GraphProto Branch(string name)
        {
            var b = new GraphProto { Name = name };
            b.Node.Add(TinyModels.Node("MatMul", ["x", $"W_outer_{name}"], [$"h_{name}"], $"mm_{name}"));
            b.Node.Add(TinyModels.Node("MatMul", [$"h_{name}", "W_shared"], [$"y_{name}"], $"shared_{name}"));
            b.Output.Add(TinyModels.FloatInfo($"y_{name}", "batch", 8));
            return b;
        }
        return IfModel("if_outer", Branch("then"), Branch("else"),
        [
            TinyModels.FloatTensor("W_outer_then", [16, 8], TinyModels.RandomFloats(128, 41)),
            TinyModels.FloatTensor("W_outer_else", [16, 8], TinyModels.RandomFloats(128, 42)),
            TinyModels.FloatTensor("W_shared", [8, 8], TinyModels.RandomFloats(64, 43)),
        ]);
    }

    /// <summary>
    /// x [batch,4,6,6], flag → If 'branch' { then: Conv 'conv_then' (W [8,4,3,3], b [8]); else: Conv 'conv_else' } → y [batch,8,4,4].
    /// </summary>
    public static ModelProto IfWithConvolutions()
    {
        GraphProto Branch(string name, int seed)
        {
            var b = new GraphProto { Name = name };
            b.Initializer.Add(TinyModels.FloatTensor($"Wc_{name}", [8, 4, 3, 3], TinyModels.RandomFloats(288, seed)));
            b.Initializer.Add(TinyModels.FloatTensor($"bc_{name}", [8], TinyModels.RandomFloats(8, seed + 1)));
            b.Node.Add(TinyModels.Node("Conv", ["x", $"Wc_{name}", $"bc_{name}"], [$"y_{name}"], $"conv_{name}"));
            b.Output.Add(TinyModels.FloatInfo($"y_{name}", "batch", 8, 4, 4));
            return b;
        }
        var g = new GraphProto { Name = "if_conv" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 4, 6, 6));
        g.Input.Add(TinyModels.TensorInfo("flag", Bool));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 8, 4, 4));
        g.Node.Add(IfNode(Branch("then", 51), Branch("else", 53)));
        return TinyModels.BuildModel(g);
    }

    /// <summary>
    /// x [batch,16], flag → Gemm 'gemm0' (main graph, 16→16) → Relu → h, read by both branches of If 'branch' from
    /// outside: then MatMul 'mm_then' (h, W_then [16,8]), else MatMul 'mm_else' → y [batch,8].
    /// </summary>
    public static ModelProto IfReadingMainGraphChannels()
    {
        GraphProto Branch(string name, int seed)
        {
            var b = new GraphProto { Name = name };
            b.Initializer.Add(TinyModels.FloatTensor($"W_{name}", [16, 8], TinyModels.RandomFloats(128, seed)));
            b.Node.Add(TinyModels.Node("MatMul", ["h", $"W_{name}"], [$"y_{name}"], $"mm_{name}"));
            b.Output.Add(TinyModels.FloatInfo($"y_{name}", "batch", 8));
            return b;
        }
        var g = new GraphProto { Name = "if_mixed" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 16));
        g.Input.Add(TinyModels.TensorInfo("flag", Bool));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 8));
        g.Initializer.Add(TinyModels.FloatTensor("W0", [16, 16], TinyModels.RandomFloats(256, 61)));
        g.Initializer.Add(TinyModels.FloatTensor("b0", [16], TinyModels.RandomFloats(16, 62)));
        var gemm = TinyModels.Node("Gemm", ["x", "W0", "b0"], ["g"], "gemm0");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        g.Node.Add(gemm);
        g.Node.Add(TinyModels.Node("Relu", ["g"], ["h"], "relu"));
        g.Node.Add(IfNode(Branch("then", 63), Branch("else", 64)));
        return TinyModels.BuildModel(g);
    }

    /// <summary>x [batch,16] → Loop 'loop' (3 iterations) { s = Tanh(MatMul 'loop_mm'(s, Wl [16,16] held by the body)) } → y [batch,16].</summary>
    public static ModelProto LoopWithMatMul()
    {
        var body = new GraphProto { Name = "body" };
        body.Input.Add(TinyModels.TensorInfo("i", Int64));
        body.Input.Add(TinyModels.TensorInfo("cond_in", Bool));
        body.Input.Add(TinyModels.FloatInfo("s_in", "batch", 16));
        body.Output.Add(TinyModels.TensorInfo("cond_out", Bool));
        body.Output.Add(TinyModels.FloatInfo("s_out", "batch", 16));
        body.Initializer.Add(TinyModels.FloatTensor("Wl", [16, 16], Scaled(TinyModels.RandomFloats(256, 71), 0.3f)));
        body.Node.Add(TinyModels.Node("MatMul", ["s_in", "Wl"], ["mm"], "loop_mm"));
        body.Node.Add(TinyModels.Node("Tanh", ["mm"], ["s_out"], "tanh"));
        body.Node.Add(TinyModels.Node("Identity", ["cond_in"], ["cond_out"], "keep_going"));
        var loop = TinyModels.Node("Loop", ["trips", "", "x"], ["y"], "loop");
        loop.Attribute.Add(new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body });
        var g = new GraphProto { Name = "loop" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 16));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 16));
        g.Initializer.Add(TinyModels.RawTensor("trips", Int64, [], BitConverter.GetBytes(3L)));
        g.Node.Add(loop);
        return TinyModels.BuildModel(g);
    }

    /// <summary>
    /// s0 [batch,8], seq [batch,5,16] → Scan 'scan' over axis 1 { s = Tanh(s + MatMul 'scan_mm'(x_t, Ws [16,8] held by the body)) }
    /// → sN [batch,8], ys [batch,5,8].
    /// </summary>
    public static ModelProto ScanWithMatMul()
    {
        var body = new GraphProto { Name = "body" };
        body.Input.Add(TinyModels.FloatInfo("st", "batch", 8));
        body.Input.Add(TinyModels.FloatInfo("xt", "batch", 16));
        body.Output.Add(TinyModels.FloatInfo("st_out", "batch", 8));
        body.Output.Add(TinyModels.FloatInfo("yt", "batch", 8));
        body.Initializer.Add(TinyModels.FloatTensor("Ws", [16, 8], TinyModels.RandomFloats(128, 81)));
        body.Node.Add(TinyModels.Node("MatMul", ["xt", "Ws"], ["p"], "scan_mm"));
        body.Node.Add(TinyModels.Node("Add", ["st", "p"], ["sum"], "add"));
        body.Node.Add(TinyModels.Node("Tanh", ["sum"], ["st_out"], "tanh"));
        body.Node.Add(TinyModels.Node("Identity", ["st_out"], ["yt"], "copy"));
        var scan = TinyModels.Node("Scan", ["s0", "seq"], ["sN", "ys"], "scan");
        scan.Attribute.Add(new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body });
        scan.Attribute.Add(new AttributeProto { Name = "num_scan_inputs", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        var axes = new AttributeProto { Name = "scan_input_axes", Type = AttributeProto.Types.AttributeType.Ints };
        axes.Ints.Add(1);
        scan.Attribute.Add(axes);
        var outAxes = new AttributeProto { Name = "scan_output_axes", Type = AttributeProto.Types.AttributeType.Ints };
        outAxes.Ints.Add(1);
        scan.Attribute.Add(outAxes);
        var g = new GraphProto { Name = "scan" };
        g.Input.Add(TinyModels.FloatInfo("s0", "batch", 8));
        g.Input.Add(TinyModels.FloatInfo("seq", "batch", 5, 16));
        g.Output.Add(TinyModels.FloatInfo("sN", "batch", 8));
        g.Output.Add(TinyModels.FloatInfo("ys", "batch", 5, 8));
        g.Node.Add(scan);
        return TinyModels.BuildModel(g);
    }

    /// <summary>The fixture named <paramref name="name"/>: if_inner, if_outer, if_conv, if_mixed, loop or scan.</summary>
    public static ModelProto Named(string name) => name switch
    {
        "if_inner" => IfWithInnerWeights(),
        "if_outer" => IfWithOuterWeights(),
        "if_conv" => IfWithConvolutions(),
        "if_mixed" => IfReadingMainGraphChannels(),
        "loop" => LoopWithMatMul(),
        "scan" => ScanWithMatMul(),
        _ => throw new ArgumentException($"no fixture {name}", nameof(name)),
    };

    /// <summary><paramref name="graph"/> and every graph below it, depth first.</summary>
    public static IEnumerable<GraphProto> AllGraphs(GraphProto graph)
    {
        yield return graph;
        foreach (var node in graph.Node)
            foreach (var a in node.Attribute)
                foreach (var g in (a.G is null ? a.Graphs : a.Graphs.Prepend(a.G)))
                    foreach (var inner in AllGraphs(g)) yield return inner;
    }

    /// <summary>Names defined more than once anywhere in the model (initializers, node outputs, graph inputs), which ONNX forbids.</summary>
    public static IReadOnlyList<string> DuplicateNames(ModelProto model) =>
        AllGraphs(model.Graph)
            .SelectMany(g => g.Initializer.Select(t => t.Name).Concat(g.Node.SelectMany(n => n.Output)).Concat(g.Input.Select(i => i.Name).Where(n => !g.Initializer.Any(t => t.Name == n))))
            .Where(n => n.Length > 0).GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

    private static ModelProto IfModel(string name, GraphProto then, GraphProto otherwise, TensorProto[] initializers)
    {
        var g = new GraphProto { Name = name };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", 16));
        g.Input.Add(TinyModels.TensorInfo("flag", Bool));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", 8));
        g.Initializer.AddRange(initializers);
        g.Node.Add(IfNode(then, otherwise));
        return TinyModels.BuildModel(g);
    }

    private static NodeProto IfNode(GraphProto then, GraphProto otherwise)
    {
        var node = TinyModels.Node("If", ["flag"], ["y"], "branch");
        node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then });
        node.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = otherwise });
        return node;
    }

    private static float[] Scaled(float[] values, float factor)
    {
        for (int i = 0; i < values.Length; i++) values[i] *= factor;
        return values;
    }

    /// <summary>A bool scalar tensor.</summary>
    public static TensorProto Flag(bool value) => TinyModels.RawTensor("flag", Bool, [], [(byte)(value ? 1 : 0)]);

    /// <summary>Float inputs for every float input of <paramref name="model"/> (symbolic dims as 3), plus the flag when it has one.</summary>
    public static Dictionary<string, TensorProto> Inputs(ModelProto model, bool flag, int seed = 7)
    {
        var inputs = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var input in model.Graph.Input)
        {
            if (model.Graph.Initializer.Any(t => t.Name == input.Name)) continue;
            var tensor = input.Type.TensorType;
            if (tensor.ElemType == Bool)
            {
                inputs[input.Name] = Flag(flag);
                continue;
            }
            long[] dims = tensor.Shape.Dim.Select(d => d.DimParam.Length > 0 ? 3L : d.DimValue).ToArray();
            inputs[input.Name] = TinyModels.FloatTensor(input.Name, dims, TinyModels.RandomFloats((int)dims.Aggregate(1L, (a, b) => a * b), seed++));
        }
        return inputs;
    }

    /// <summary>
    /// The signal-to-noise ratio (dB) of the worst output of <paramref name="compressed"/> against <paramref name="original"/>,
    /// both run by ONNX Runtime on the same inputs.
    /// </summary>
    public static double WorstSqnr(byte[] original, byte[] compressed, IReadOnlyDictionary<string, TensorProto> inputs)
    {
        var expected = OrtRunner.RunOnce(original, inputs);
        var actual = OrtRunner.RunOnce(compressed, inputs);
        double worst = double.PositiveInfinity;
        for (int i = 0; i < expected.Count; i++)
        {
            var r = MemoryMarshal.Cast<byte, float>(expected[i].Bytes).ToArray();
            var a = MemoryMarshal.Cast<byte, float>(actual[i].Bytes).ToArray();
            if (r.Length != a.Length) return double.NegativeInfinity;
            double signal = r.Sum(v => (double)v * v), noise = r.Zip(a).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second));
            worst = Math.Min(worst, noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise));
        }
        return worst;
    }
}
