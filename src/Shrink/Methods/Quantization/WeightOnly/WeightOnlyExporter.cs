using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// Writes rounded weights into the graph. MatMul and Gemm become com.microsoft MatMulNBits (packed codes, per-block
/// scales, zero points only when asymmetric) when ONNX Runtime has a kernel for the width and the groups are a power of
/// two of at least 16; otherwise, and for Conv, the weight becomes a DequantizeLinear of an int4/int8 tensor (blocked
/// along the reduction axis; opset 21 for int4 or blocks, so the model is upgraded when needed). 3-bit codes travel in
/// 4-bit containers: ONNX has no 3-bit type.
/// </summary>
public static class WeightOnlyExporter
{
    /// <summary>Widths ONNX Runtime's CPU MatMulNBits kernel accepts.</summary>
    public static readonly IReadOnlySet<int> MatMulNBitsWidths = new HashSet<int> { 2, 4, 8 };

    /// <summary>
    /// Rewrites each layer of <paramref name="model"/> (which the layers belong to) with its rounded weight; returns, per
    /// layer, the format and the bytes of what stores the weight (codes, scales, zero points).
    /// </summary>
    public static IReadOnlyDictionary<WeightLayer, (string Format, long Bytes)> Apply(OnnxModel model, IReadOnlyList<(WeightLayer Layer, QuantizedWeight Weight)> decisions, WeightExportSettings settings) =>
        Apply(model, decisions, settings, null, []);

    /// <summary>
    /// As <see cref="Apply(OnnxModel, IReadOnlyList{ValueTuple{WeightLayer, QuantizedWeight}}, WeightExportSettings)"/>,
    /// and also rewrites layers inside If/Loop/Scan bodies: each of <paramref name="subgraphDecisions"/> is written into
    /// its scope's graph (new initializers inside that subgraph, names unique across the model), then
    /// <paramref name="subgraphs"/> commits before the main graph is tidied and upgraded.
    /// </summary>
    public static IReadOnlyDictionary<WeightLayer, (string Format, long Bytes)> Apply(OnnxModel model, IReadOnlyList<(WeightLayer Layer, QuantizedWeight Weight)> decisions, WeightExportSettings settings,
        SubgraphEdit? subgraphs, IReadOnlyList<(SubgraphScope Scope, WeightLayer Layer, QuantizedWeight Weight)> subgraphDecisions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(subgraphDecisions);
        var formats = new Dictionary<WeightLayer, (string Format, long Bytes)>();
        bool needs21 = false, usesContrib = false;
        foreach (var (scope, layer, weight) in subgraphDecisions) Write(scope.Graph, layer, weight, settings, formats, ref needs21, ref usesContrib);
        subgraphs?.Commit();
        var graph = model.Graph;
        foreach (var (layer, weight) in decisions) Write(graph, layer, weight, settings, formats, ref needs21, ref usesContrib);
        graph.RemoveUnusedInitializers();
        if (usesContrib && model.OpsetVersion("com.microsoft") < 1) model.SetOpsetVersion("com.microsoft", 1);
        if (needs21 && model.OpsetVersion() < 21)
        {
            graph.SyncToProto();
            new UpgradeOpset(21).Apply(model);
        }
        return formats;
    }

    private static void Write(ModelGraph graph, WeightLayer layer, QuantizedWeight weight, WeightExportSettings settings, Dictionary<WeightLayer, (string Format, long Bytes)> formats, ref bool needs21, ref bool usesContrib)
    {
        if (layer.Node.OpType is OpTypes.MatMul or OpTypes.Gemm && settings.PreferMatMulNBits && MatMulNBitsBlock(weight) is int block && BiasOf(layer, graph, out _))
        {
            var added = new List<string>();
            string format = WriteMatMulNBits(graph, layer, weight, block, settings, added);
            formats[layer] = (format, NewBytes(graph, added, layer));
            usesContrib = true;
        }
        else
        {
            var added = new List<string>();
            string format = WriteDequantize(graph, layer, weight, added, out bool opset21);
            formats[layer] = (format, NewBytes(graph, added, layer));
            needs21 |= opset21;
        }
    }

    // Bytes of the initializers a rewrite added, not counting the moved bias and the reshape target. The rewrite lists
    // what it added: comparing with a copy of every name taken before each layer made the export quadratic in layers.
    private static long NewBytes(ModelGraph graph, List<string> added, WeightLayer layer) =>
        added.Distinct(StringComparer.Ordinal).Select(name => graph.Initializers[name]).Where(t => t.Type != ElementType.Int64 && !(t.Type == ElementType.Float && t.Dims.Count == 1 && t.ElementCount == layer.Rows && t.Name.EndsWith("_bias", StringComparison.Ordinal)))
            .Sum(t => t.ByteCount);

    /// <summary>Bits of the container that carries codes of <paramref name="bits"/> bits.</summary>
    public static int ContainerBits(int bits) => bits switch { <= 2 => 2, <= 4 => 4, _ => 8 };

    // The MatMulNBits block size for these groups, or null when the op cannot carry them. ORT's kernel takes blocks of
    // 16 to 256; a larger group (one per channel included) spans several blocks that repeat its scale.
    private static int? MatMulNBitsBlock(QuantizedWeight w)
    {
        int container = ContainerBits(w.Grid.Bits);
        if (!MatMulNBitsWidths.Contains(container)) container = 4;
        if (!MatMulNBitsWidths.Contains(container)) return null;
        if (w.GroupCount == 1)
        {
            int block = 16;
            while (block < w.Cols && block < MaxBlock) block <<= 1;
            return block;
        }
        for (int block = MaxBlock; block >= 16; block >>= 1)
            if (w.GroupSize % block == 0) return block;
        return null;
    }

    private const int MaxBlock = 256;

    // Gemm's C as a MatMulNBits bias: absent, or a constant [N] / [1, N] with beta folded in. False when it cannot be one.
    private static bool BiasOf(WeightLayer layer, ModelGraph graph, out float[]? bias)
    {
        bias = null;
        if (layer.Node.OpType != OpTypes.Gemm || layer.Node.Inputs.Count < 3 || layer.Node.Inputs[2].Length == 0) return true;
        var c = graph.FindInitializer(layer.Node.Inputs[2]);
        if (c is null || c.Type != ElementType.Float || c.ElementCount != layer.Rows) return false;
        bias = c.ToFloatArray();
        float beta = layer.Node.GetFloat("beta", 1f);
        if (beta != 1f) for (int i = 0; i < bias.Length; i++) bias[i] *= beta;
        return true;
    }

    private static string WriteMatMulNBits(ModelGraph graph, WeightLayer layer, QuantizedWeight w, int block, WeightExportSettings settings, List<string> added)
    {
        void SetInitializer(TensorData t)
        {
            graph.SetInitializer(t);
            added.Add(t.Name);
        }

        int bits = w.Grid.Bits, container = ContainerBits(bits);
        if (!MatMulNBitsWidths.Contains(container)) container = 4;
        int n = w.Rows, k = w.Cols, kBlocks = (k + block - 1) / block, blob = block * container / 8;
        int offset = w.Grid.Symmetric ? (1 << (container - 1)) - (1 << (bits - 1)) : 0;
        var packed = new byte[(long)n * kBlocks * blob];
        var scales = new float[(long)n * kBlocks];
        var codes = new byte[block];
        var zeroCodes = new byte[kBlocks];
        var zeroRows = new List<byte[]>();
        for (int r = 0; r < n; r++)
        {
            for (int b = 0; b < kBlocks; b++)
            {
                int g = Math.Min(b * block / w.GroupSize, w.GroupCount - 1);
                int zp = w.ZeroPoints[r * w.GroupCount + g] + offset;
                zeroCodes[b] = (byte)zp;
                scales[r * kBlocks + b] = w.Scales[r * w.GroupCount + g];
                for (int i = 0; i < block; i++)
                {
                    int c = b * block + i;
                    codes[i] = c < k ? (byte)(w.Codes[(long)r * k + c] + offset) : (byte)zp; // padding dequantizes to 0
                }
                NBitsPacking.Pack(codes, container, packed.AsSpan((int)(((long)r * kBlocks + b) * blob), blob));
            }
            if (!w.Grid.Symmetric) zeroRows.Add(NBitsPacking.Pack(zeroCodes, container));
        }

        var node = layer.Node;
        string stem = node.Name.Length > 0 ? node.Name : layer.WeightName;
        string bName = graph.UniqueName(stem + "_B_q" + bits), sName = graph.UniqueName(stem + "_scales");
        SetInitializer(TensorData.Create<byte>(bName, [n, kBlocks, blob], packed, ElementType.UInt8));
        SetInitializer(TensorData.FromFloats(sName, [n, kBlocks], scales));
        var inputs = new List<string> { node.Inputs[0], bName, sName };
        if (!w.Grid.Symmetric)
        {
            string zName = graph.UniqueName(stem + "_zero_points");
            var all = zeroRows.SelectMany(z => z).ToArray();
            SetInitializer(TensorData.Create<byte>(zName, [all.Length], all, ElementType.UInt8));
            inputs.Add(zName);
        }
        BiasOf(layer, graph, out var bias);
        if (bias is not null)
        {
            string biasName = graph.UniqueName(stem + "_bias");
            SetInitializer(TensorData.FromFloats(biasName, [n], bias));
            while (inputs.Count < 5) inputs.Add("");
            inputs.Add(biasName);
        }
        var replacement = graph.AddNodeBefore(node, OpTypes.MatMulNBits, inputs, [node.Outputs[0]], node.Name, "com.microsoft");
        replacement.SetInt("K", k);
        replacement.SetInt("N", n);
        replacement.SetInt("bits", container);
        replacement.SetInt("block_size", block);
        if (settings.Int8Activations) replacement.SetInt("accuracy_level", 4);
        graph.RemoveNode(node);
        return $"MatMulNBits {container}-bit{(container != bits ? $" (holding {bits}-bit codes)" : "")}, block {block}{(settings.Int8Activations ? ", int8 activations" : "")}";
    }

    private static string WriteDequantize(ModelGraph graph, WeightLayer layer, QuantizedWeight w, List<string> added, out bool needsOpset21)
    {
        void SetInitializer(TensorData t)
        {
            graph.SetInitializer(t);
            added.Add(t.Name);
        }

        int bits = w.Grid.Bits;
        bool small = bits <= 4, perChannel = w.GroupCount == 1;
        var type = small ? (w.Grid.Symmetric ? ElementType.Int4 : ElementType.UInt4) : (w.Grid.Symmetric ? ElementType.Int8 : ElementType.UInt8);
        needsOpset21 = small || !perChannel;
        int rows = w.Rows, cols = w.Cols;
        bool transposed = layer.StoredTransposed;
        // Values in the stored layout: [K, N] for MatMul-style weights, [N, K] otherwise.
        var values = new sbyte[(long)rows * cols];
        var unsignedValues = new byte[(long)rows * cols];
        int middle = w.Grid.MiddleCode;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                long at = transposed ? (long)c * rows + r : (long)r * cols + c;
                byte code = w.Codes[(long)r * cols + c];
                values[at] = (sbyte)(code - middle);
                unsignedValues[at] = code;
            }
        }
        int groups = w.GroupCount;
        var scales = new float[(long)rows * groups];
        var zeros = new byte[(long)rows * groups];
        for (int r = 0; r < rows; r++)
        {
            for (int g = 0; g < groups; g++)
            {
                long at = transposed ? (long)g * rows + r : (long)r * groups + g;
                scales[at] = w.Scales[r * groups + g];
                zeros[at] = w.ZeroPoints[r * groups + g];
            }
        }

        var node = layer.Node;
        string stem = node.Name.Length > 0 ? node.Name : layer.WeightName;
        bool conv = node.OpType == OpTypes.Conv;
        long[] dims = conv && perChannel ? layer.WeightDims : transposed ? [cols, rows] : [rows, cols];
        long[] scaleDims = perChannel ? [rows] : transposed ? [groups, rows] : [rows, groups];
        int axis = transposed ? (perChannel ? 1 : 0) : (perChannel ? 0 : 1);
        string qName = graph.UniqueName(stem + "_w_q" + bits), sName = graph.UniqueName(stem + "_w_scale");
        SetInitializer(small
            ? TensorData.Create<byte>(qName, dims, w.Grid.Symmetric ? NBitsPacking.PackSigned(values, 4) : NBitsPacking.Pack(unsignedValues, 4), type)
            : w.Grid.Symmetric ? TensorData.Create<sbyte>(qName, dims, values, type) : TensorData.Create<byte>(qName, dims, unsignedValues, type));
        SetInitializer(TensorData.FromFloats(sName, scaleDims, scales));
        var inputs = new List<string> { qName, sName };
        if (!w.Grid.Symmetric)
        {
            string zName = graph.UniqueName(stem + "_w_zero_point");
            SetInitializer(small ? TensorData.Create<byte>(zName, scaleDims, NBitsPacking.Pack(zeros, 4), type) : TensorData.Create<byte>(zName, scaleDims, zeros, type));
            inputs.Add(zName);
        }
        string dequantized = graph.UniqueName(stem + "_w_dequantized");
        var dq = graph.AddNodeBefore(node, OpTypes.DequantizeLinear, inputs, [dequantized], graph.UniqueName(stem + "_w_DequantizeLinear"));
        dq.SetInt("axis", axis);
        if (!perChannel) dq.SetInt("block_size", w.GroupSize);
        string weightValue = dequantized;
        if (conv && !perChannel)
        {
            // Groups run along the flattened [C/group·Πk] axis, so the 2-D tensor is reshaped back to the kernel.
            string shapeName = graph.UniqueName(stem + "_w_shape");
            SetInitializer(TensorData.Create<long>(shapeName, [layer.WeightDims.Length], layer.WeightDims, ElementType.Int64));
            weightValue = graph.UniqueName(stem + "_w_kernel");
            graph.AddNodeAfter(dq, OpTypes.Reshape, [dequantized, shapeName], [weightValue], graph.UniqueName(stem + "_w_Reshape"));
        }
        graph.SetInput(node, OpCatalog.FindLayer(node.OpType, node.Domain)!.WeightInput, weightValue);
        string storage = small ? (bits == 4 ? "int4" : $"int4 (holding {bits}-bit codes)") : "int8";
        return $"DequantizeLinear {storage}, {(perChannel ? "per channel" : $"block {w.GroupSize}")}";
    }
}
