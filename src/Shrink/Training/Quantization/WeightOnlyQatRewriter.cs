using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Quantization;

/// <summary>
/// Turns a weight-only model (as <c>shrink quantize --weights</c> or <c>--mixed</c> writes it) into a float model for
/// quantization-aware training: each com.microsoft MatMulNBits becomes a MatMul of its input by a blockwise
/// fake-quantized float weight [K, N] that starts at the dequantized codes, with one learnable (LSQ) scale per block, the
/// fake quantizer of <see cref="QatRewriter"/> (<c>v = W / s; c = clip(v, levels); r = c + stop_gradient(Round(c) − c); y = r · s</c>)
/// applied per block of <c>block_size</c> rows; a bias input becomes an Add of a float parameter. Each weight the PTQ
/// model dequantizes with a DequantizeLinear (Conv weights, groups MatMulNBits cannot carry) becomes the same fake
/// quantizer per channel or per block along the DequantizeLinear's axis; each embedding table read by com.microsoft
/// GatherBlockQuantized becomes a float table behind the same fake quantizer per block along its rows, read by a plain
/// Gather (<see cref="GatherBlockQuantizedRewrite"/>). Zero points stay fixed. Before any training the
/// model computes what the PTQ model computes (up to the kernels' float summation order).
/// <see cref="WeightOnlyQatModel.Export"/> writes the trained values back into the same initializers.
/// </summary>
/// <remarks>
/// Each layer's grid width is <see cref="WeightOnlyQatOptions.BitsFor"/> its node (mixed precision gives one per layer).
/// GatherBlockQuantized tables are trained at their own width (the node's bits), whatever the options say. Weights
/// inside subgraphs' DequantizeLinear or GatherBlockQuantized are not trained: they stay as the PTQ model has them
/// (<see cref="WeightOnlyQatModel.FrozenLayers"/>).
/// </remarks>
public static class WeightOnlyQatRewriter
{
    /// <summary>
    /// Rewrites <paramref name="ptq"/> (not modified). Refuses (ShrinkException, naming the node) models without
    /// MatMulNBits, weight DequantizeLinear or GatherBlockQuantized tables, MatMulNBits inside subgraphs, with g_idx, float zero points, int8 activations (accuracy_level 4),
    /// initializers that are not the layout MatMulNBits documents, and codes outside the <see cref="WeightOnlyQatOptions.Bits"/> grid.
    /// </summary>
    public static WeightOnlyQatModel Rewrite(OnnxModel ptq, WeightOnlyQatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ptq);
        options ??= new WeightOnlyQatOptions();
        options.Validate();
        string source = ptq.Name;
        var model = ptq.Clone();
        var graph = model.Graph;
        foreach (var node in graph.Nodes.Where(n => n.HasSubgraph))
            if (Inside(node).FirstOrDefault(IsMatMulNBits) is { } inner)
                throw new ShrinkException($"{source}: MatMulNBits '{inner.DisplayName}' is inside a subgraph of '{node.DisplayName}' ({node.OpType}); quantization-aware training differentiates the main graph only.");
        var layers = graph.Nodes.Where(IsMatMulNBits).ToList();
        var dequantized = graph.Nodes.Where(n => DequantizeWeightRewrite.IsWeightDequantize(graph, n)).ToList();
        var tables = graph.Nodes.Where(GatherBlockQuantizedRewrite.IsTableGather)
            .GroupBy(n => n.Inputs[GatherBlockQuantizedKernel.DataInput], StringComparer.Ordinal).Select(g => g.ToList()).ToList();
        if (layers.Count == 0 && dequantized.Count == 0 && tables.Count == 0)
            throw new ShrinkException($"{source}: no MatMulNBits nodes, DequantizeLinear weights or GatherBlockQuantized tables; weight-only quantization-aware training trains the layers that shrink quantize --weights writes.");
        int frozen = graph.Nodes.Where(n => n.HasSubgraph).SelectMany(Inside)
            .Count(n => (n.Domain.Length == 0 && n.OpType == OpTypes.DequantizeLinear) || GatherBlockQuantizedRewrite.IsTableGather(n));

        var links = new List<BlockWeightLink>();
        var parameters = new List<(string Name, ParameterRole Role, ParameterHint Hint)>();
        var stops = new List<string>();
        foreach (var node in layers)
        {
            var link = Read(graph, node, options.BitsFor(node.Name, node.DisplayName), source);
            links.Add(link);
            stops.Add(Emit(graph, node, link));
            parameters.Add((link.Weight, ParameterRole.Weight, new ParameterHint()));
            if (link.Bias is not null) parameters.Add((link.Bias, ParameterRole.Bias, new ParameterHint()));
            var scales = graph.FindInitializer(link.Scale)!.ToFloatArray();
            int positive = 0;
            for (int i = 0; i < link.LevelMax.Length; i++) positive = Math.Max(positive, Math.Max(link.LevelMax[i], -link.LevelMin[i]));
            parameters.Add((link.Scale, ParameterRole.WeightScale, new ParameterHint
            {
                // LSQ: learning rate × 1/√(N·Qp), N the weights one scale serves (a block); kept positive; no decay.
                LearningRateScale = 1 / Math.Sqrt((double)link.Block * Math.Max(1, positive)),
                Minimum = Math.Max(QuantMath.MinScale, 1e-3f * scales.Min()),
                Decay = false,
            }));
        }
        var dequantizeLinks = new List<DequantizeWeightLink>();
        foreach (var dq in dequantized)
        {
            var layer = DequantizeWeightRewrite.Layer(graph, dq);
            var link = DequantizeWeightRewrite.Read(graph, dq, layer, options.BitsFor(layer.Name, layer.DisplayName), source);
            dequantizeLinks.Add(link);
            stops.Add(DequantizeWeightRewrite.Emit(graph, dq, link));
            parameters.Add((link.Weight, ParameterRole.Weight, new ParameterHint()));
            parameters.Add((link.Scale, ParameterRole.WeightScale, DequantizeWeightRewrite.ScaleHint(link, graph.FindInitializer(link.Scale)!.ToFloatArray())));
        }
        var tableLinks = new List<DequantizeWeightLink>();
        foreach (var gathers in tables)
        {
            var link = GatherBlockQuantizedRewrite.Read(graph, gathers, source);
            tableLinks.Add(link);
            stops.Add(GatherBlockQuantizedRewrite.Emit(graph, gathers, link));
            parameters.Add((link.Weight, ParameterRole.Weight, new ParameterHint()));
            parameters.Add((link.Scale, ParameterRole.WeightScale, DequantizeWeightRewrite.ScaleHint(link, graph.FindInitializer(link.Scale)!.ToFloatArray())));
        }
        graph.RemoveUnusedInitializers();
        graph.SortTopologically();
        if (model.OpsetVersion() < 13) model.SetOpsetVersion("", 13);
        return new WeightOnlyQatModel(ptq, model, parameters, stops, links, dequantizeLinks, tableLinks, frozen);
    }

    private static bool IsMatMulNBits(Node node) => node.Domain == OpDomains.Microsoft && node.OpType == OpTypes.MatMulNBits;

    private static IEnumerable<Node> Inside(Node node) =>
        node.Subgraphs().SelectMany(s => s.Graph.Nodes.SelectMany(n => n.HasSubgraph ? Inside(n).Prepend(n) : [n]));

    // Reads one MatMulNBits: codes, scales, zero points and bias as the exporter writes them; the float weight and
    // scale parameters are added to the graph.
    private static BlockWeightLink Read(ModelGraph graph, Node node, int bits, string source)
    {
        string name = node.DisplayName;
        int k = (int)node.GetInt("K", 0), n = (int)node.GetInt("N", 0), container = (int)node.GetInt("bits", 4), block = (int)node.GetInt("block_size", 0);
        if (k <= 0 || n <= 0 || block < 16 || (block & (block - 1)) != 0 || container is not (2 or 4 or 8))
            throw new ShrinkException($"{source}: MatMulNBits '{name}' has K={k}, N={n}, bits={container}, block_size={block}; expected positive K and N, 2/4/8 bits and a power-of-two block of at least 16.");
        if (node.GetInt("accuracy_level", 0) == 4)
            throw new ShrinkException($"{source}: MatMulNBits '{name}' quantizes its input to int8 at run time (accuracy_level 4), which the fake quantizers do not model; quantize with float activations for quantization-aware training.");
        if (node.Inputs.Count > 4 && node.Inputs[4].Length > 0)
            throw new ShrinkException($"{source}: MatMulNBits '{name}' has a g_idx input (act-order column permutation); quantization-aware training reads plain blocks.");
        if (bits > container)
            throw new ShrinkException($"{source}: MatMulNBits '{name}' stores {container}-bit codes; {bits}-bit weights do not fit. Pass the --weights it was quantized with.");
        int blocks = (k + block - 1) / block, blob = block * container / 8;
        var codes = node.Inputs.Count > 1 ? graph.FindInitializer(node.Inputs[1]) : null;
        if (codes is null || codes.Type != ElementType.UInt8 || codes.ElementCount != (long)n * blocks * blob)
            throw new ShrinkException($"{source}: MatMulNBits '{name}': input B is not a uint8 initializer of [{n}, {blocks}, {blob}] values.");
        if (graph.Consumers(codes.Name).Count > 1)
            throw new ShrinkException($"{source}: the codes '{codes.Name}' of MatMulNBits '{name}' are read by {graph.Consumers(codes.Name).Count} nodes; QAT needs one MatMulNBits per weight.");
        var scaleTensor = node.Inputs.Count > 2 ? graph.FindInitializer(node.Inputs[2]) : null;
        if (scaleTensor is null || scaleTensor.Type != ElementType.Float || scaleTensor.ElementCount != (long)n * blocks)
            throw new ShrinkException($"{source}: MatMulNBits '{name}': the scales are not a float initializer of {n} × {blocks} values; QAT trains float scales.");
        var s = scaleTensor.ToFloatArray();
        foreach (float v in s)
            if (!(v > 0) || !float.IsFinite(v)) throw new ShrinkException($"{source}: MatMulNBits '{name}' has scale {v}; scales must be positive and finite.");

        bool symmetric = node.Inputs.Count <= 3 || node.Inputs[3].Length == 0;
        var zeros = new byte[(long)n * blocks];
        int middle = 1 << (container - 1);
        if (symmetric)
        {
            Array.Fill(zeros, (byte)middle);
        }
        else
        {
            var zp = graph.FindInitializer(node.Inputs[3]);
            int perRow = (blocks * container + 7) / 8;
            if (zp is null || zp.Type != ElementType.UInt8 || zp.ElementCount != (long)n * perRow)
                throw new ShrinkException($"{source}: MatMulNBits '{name}': the zero points are not a packed uint8 initializer of {n} × {perRow} bytes.");
            var packed = zp.AsSpan<byte>();
            for (int r = 0; r < n; r++) NBitsPacking.Unpack(packed.Slice(r * perRow, perRow), container, blocks).CopyTo(zeros, (long)r * blocks);
        }
        // Levels (code − zero point) of the grid: symmetric grids of b bits in a c-bit container sit around the
        // container's middle (−2^(b−1)..2^(b−1)−1); asymmetric codes run 0..2^b−1 with a zero point per block.
        var levelMin = new int[zeros.Length];
        var levelMax = new int[zeros.Length];
        int half = 1 << (bits - 1), top = (1 << bits) - 1;
        for (int i = 0; i < zeros.Length; i++)
        {
            levelMin[i] = symmetric ? -half : -zeros[i];
            levelMax[i] = symmetric ? half - 1 : top - zeros[i];
        }

        // The dequantized weight in MatMul's [K, N] layout, and the scales block-major [blocks, N].
        var w = new float[(long)k * n];
        var scales = new float[(long)blocks * n];
        var raw = codes.AsSpan<byte>();
        for (int r = 0; r < n; r++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int g = r * blocks + b;
                scales[(long)b * n + r] = s[g];
                var unpacked = NBitsPacking.Unpack(raw.Slice((int)(((long)r * blocks + b) * blob), blob), container, block);
                for (int i = 0; i < block && b * block + i < k; i++)
                {
                    int level = unpacked[i] - zeros[g];
                    if (level < levelMin[g] || level > levelMax[g])
                        throw new ShrinkException($"{source}: MatMulNBits '{name}' holds code {unpacked[i]} (zero point {zeros[g]}) outside the {bits}-bit grid; pass the --weights it was quantized with.");
                    w[(long)(b * block + i) * n + r] = level * s[g];
                }
            }
        }
        string stem = node.Name.Length > 0 ? node.Name : codes.Name;
        string weight = graph.UniqueName(stem + "_qat_weight"), scale = graph.UniqueName(stem + "_qat_scale");
        graph.SetInitializer(TensorData.FromFloats(weight, [k, n], w));
        graph.SetInitializer(TensorData.FromFloats(scale, [(long)blocks * n], scales));

        string? bias = null;
        if (node.Inputs.Count > 5 && node.Inputs[5].Length > 0)
        {
            var b = graph.FindInitializer(node.Inputs[5]);
            if (b is null || b.Type != ElementType.Float || b.ElementCount != n || graph.Consumers(b.Name).Count > 1)
                throw new ShrinkException($"{source}: the bias of MatMulNBits '{name}' is not a float initializer of {n} values read by that node alone.");
            bias = b.Name;
        }
        return new BlockWeightLink(name, weight, scale, bias, codes.Name, scaleTensor.Name, k, n, block, container, zeros, levelMin, levelMax);
    }

    // MatMul(x, fake_quant(W)) (+ bias) in place of the MatMulNBits; returns the stop-gradient value.
    private static string Emit(ModelGraph graph, Node node, BlockWeightLink link)
    {
        string stem = (node.Name.Length > 0 ? node.Name : link.Codes) + "_fake_quant";
        int k = link.K, n = link.N, blocks = link.Blocks, block = link.Block, padded = blocks * block;
        string Constant(string suffix, Func<string, TensorData> make)
        {
            string name = graph.UniqueName(stem + suffix);
            graph.SetInitializer(make(name));
            return name;
        }
        string Shape(string suffix, long[] dims) => Constant(suffix, name => TensorData.Create<long>(name, [dims.Length], dims, ElementType.Int64));
        string Op(string op, string[] inputs, string suffix)
        {
            string output = graph.UniqueName(stem + suffix);
            graph.AddNodeBefore(node, op, inputs, [output], graph.UniqueName(stem + suffix + "_node"));
            return output;
        }

        string weight = link.Weight;
        if (padded != k)
        {
            // The last block is short: zero rows (level 0 whatever the scale) fill it, as the exporter pads the codes.
            string zeros = Constant("/padding", name => TensorData.FromFloats(name, [padded - k, n], new float[(long)(padded - k) * n]));
            string full = graph.UniqueName(stem + "/padded");
            var concat = graph.AddNodeBefore(node, OpTypes.Concat, [weight, zeros], [full], graph.UniqueName(stem + "/padded_node"));
            concat.SetInt("axis", 0);
            weight = full;
        }
        string w3 = Op(OpTypes.Reshape, [weight, Shape("/blocks_shape", [blocks, block, n])], "/blocks");
        string s3 = Op(OpTypes.Reshape, [link.Scale, Shape("/scale_shape", [blocks, 1, n])], "/scale");
        string v = Op(OpTypes.Div, [w3, s3], "/scaled");
        string c;
        bool uniform = link.LevelMin.All(x => x == link.LevelMin[0]) && link.LevelMax.All(x => x == link.LevelMax[0]);
        if (uniform)
        {
            string lo = Constant("/min", name => TensorData.FromFloats(name, [], [link.LevelMin[0]]));
            string hi = Constant("/max", name => TensorData.FromFloats(name, [], [link.LevelMax[0]]));
            c = Op(OpTypes.Clip, [v, lo, hi], "/clipped");
        }
        else
        {
            // Zero points differ per block: the bounds are tensors [blocks, 1, N], so Min/Max instead of Clip.
            float[] Bounds(int[] levels)
            {
                var values = new float[(long)blocks * n];
                for (int r = 0; r < n; r++)
                    for (int b = 0; b < blocks; b++) values[(long)b * n + r] = levels[r * blocks + b];
                return values;
            }
            string lo = Constant("/min", name => TensorData.FromFloats(name, [blocks, 1, n], Bounds(link.LevelMin)));
            string hi = Constant("/max", name => TensorData.FromFloats(name, [blocks, 1, n], Bounds(link.LevelMax)));
            c = Op(OpTypes.Max, [Op(OpTypes.Min, [v, hi], "/below_max"), lo], "/clipped");
        }
        string rounded = Op(OpTypes.Round, [c], "/rounded");
        string stop = Op(OpTypes.Sub, [rounded, c], "/rounding");
        string r3 = Op(OpTypes.Add, [c, stop], "/straight_through");
        string y3 = Op(OpTypes.Mul, [r3, s3], "/dequantized");
        string wq = Op(OpTypes.Reshape, [y3, Shape("/weight_shape", [padded, n])], "/weight");
        if (padded != k)
            wq = Op(OpTypes.Slice, [wq, Shape("/starts", [0]), Shape("/ends", [k]), Shape("/axes", [0])], "/weight_rows");

        string output = node.Outputs[0];
        if (link.Bias is null)
        {
            graph.AddNodeBefore(node, OpTypes.MatMul, [node.Inputs[0], wq], [output], node.Name);
        }
        else
        {
            string product = graph.UniqueName(stem + "/product");
            graph.AddNodeBefore(node, OpTypes.MatMul, [node.Inputs[0], wq], [product], node.Name);
            graph.AddNodeBefore(node, OpTypes.Add, [product, link.Bias], [output], graph.UniqueName(stem + "/bias"));
        }
        graph.RemoveNode(node);
        return stop;
    }
}
