using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Quantization;

/// <summary>
/// The embedding tables a PTQ model reads with com.microsoft GatherBlockQuantized (as <see cref="EmbeddingQuantizer"/>
/// writes them: uint8 data [rows, columns · bits / 8] of packed codes, float scales [rows, blocks], optional packed uint8
/// zero points [rows, ⌈blocks · bits / 8⌉], gather_axis 0, quantize_axis 1) for quantization-aware training: the codes
/// become a float table parameter [rows, columns] that starts at their dequantized value, passed through the fake
/// quantizer of <see cref="DequantizeWeightRewrite"/> per block along each row with a learnable (LSQ) scale each, at the
/// table's own width and zero points, and read by a plain Gather (axis 0); export writes the trained values back into the
/// same data and scales initializers. Zero points stay fixed.
/// </summary>
internal static class GatherBlockQuantizedRewrite
{
    /// <summary>Whether <paramref name="node"/> is a com.microsoft GatherBlockQuantized.</summary>
    public static bool IsTableGather(Node node) => node.Domain == OpDomains.Microsoft && node.OpType == OpTypes.GatherBlockQuantized;

    /// <summary>
    /// Reads the table that <paramref name="gathers"/> (every GatherBlockQuantized of one data initializer) read and adds
    /// the float table and scale parameters. Refuses (ShrinkException, naming the node) data that is not a uint8
    /// initializer of rank 2 read by these nodes alone, gathers that disagree on scales, zero points or attributes, other
    /// axes, widths or blocks than the uint8 form takes, and scales or zero points not of the documented shape.
    /// </summary>
    public static DequantizeWeightLink Read(ModelGraph graph, IReadOnlyList<Node> gathers, string source)
    {
        var first = gathers[0];
        string name = first.DisplayName;
        var data = graph.FindInitializer(first.Inputs[GatherBlockQuantizedKernel.DataInput]);
        if (data is null || data.Type != ElementType.UInt8 || data.Dims.Count != 2)
            throw new ShrinkException($"{source}: GatherBlockQuantized '{name}' does not read a uint8 initializer of rank 2; QAT trains the tables shrink quantize --embeddings writes.");
        int readers = graph.Consumers(data.Name).Count;
        if (readers != gathers.Count)
            throw new ShrinkException($"{source}: the table codes '{data.Name}' of GatherBlockQuantized '{name}' are also read by nodes other than GatherBlockQuantized; QAT needs them read by GatherBlockQuantized alone.");
        long bits = first.GetInt("bits", 4), block = first.GetInt("block_size", 128), gatherAxis = first.GetInt("gather_axis", 0), quantizeAxis = first.GetInt("quantize_axis", 1);
        string Key(Node n) => string.Join("|", n.Inputs.Skip(2).Append(n.GetInt("bits", 4).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append(n.GetInt("block_size", 128).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append(n.GetInt("gather_axis", 0).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append(n.GetInt("quantize_axis", 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (gathers.FirstOrDefault(g => Key(g) != Key(first)) is { } other)
            throw new ShrinkException($"{source}: GatherBlockQuantized '{name}' and '{other.DisplayName}' read the table '{data.Name}' with other scales, zero points or attributes; QAT trains one table one way.");
        if (gatherAxis != GatherBlockQuantizedKernel.GatherAxis || (quantizeAxis != 1 && quantizeAxis != -1))
            throw new ShrinkException($"{source}: GatherBlockQuantized '{name}' has gather_axis {gatherAxis} and quantize_axis {quantizeAxis}; QAT trains tables gathered along axis 0 and quantized along rows (1).");
        if (!GatherBlockQuantizedKernel.Widths.Contains((int)bits) || !GatherBlockQuantizedKernel.IsValidBlock((int)block))
            throw new ShrinkException($"{source}: GatherBlockQuantized '{name}' has bits {bits} and block_size {block}; expected 4 or 8 bits and a power-of-two block of at least {GatherBlockQuantizedKernel.MinBlockSize}.");

        long rows = data.Dims[0], cols = data.Dims[1] * 8 / bits, blocks = (cols + block - 1) / block;
        var scaleTensor = first.Inputs.Count > 2 ? graph.FindInitializer(first.Inputs[2]) : null;
        if (scaleTensor is null || scaleTensor.Type != ElementType.Float || !scaleTensor.Dims.SequenceEqual([rows, blocks]))
            throw new ShrinkException($"{source}: GatherBlockQuantized '{name}': the scales are not a float initializer [{rows}, {blocks}]; QAT trains float scales.");
        var s = scaleTensor.ToFloatArray();
        foreach (float v in s)
            if (!(v > 0) || !float.IsFinite(v)) throw new ShrinkException($"{source}: GatherBlockQuantized '{name}' has scale {v}; scales must be positive and finite.");

        int count = (int)(rows * blocks), top = (1 << (int)bits) - 1;
        var zeros = new int[count];
        if (first.Inputs.Count > 3 && first.Inputs[3].Length > 0)
        {
            long perRow = (blocks * bits + 7) / 8;
            var zp = graph.FindInitializer(first.Inputs[3]);
            if (zp is null || zp.Type != ElementType.UInt8 || !zp.Dims.SequenceEqual([rows, perRow]))
                throw new ShrinkException($"{source}: GatherBlockQuantized '{name}': the zero points are not a packed uint8 initializer [{rows}, {perRow}].");
            var packed = zp.AsSpan<byte>();
            for (int r = 0; r < rows; r++)
            {
                var row = NBitsPacking.Unpack(packed.Slice((int)(r * perRow), (int)perRow), (int)bits, (int)blocks);
                for (int b = 0; b < blocks; b++) zeros[r * blocks + b] = row[b];
            }
        }
        else
        {
            Array.Fill(zeros, 1 << ((int)bits - 1)); // the kernel's default: a symmetric grid around the middle code
        }
        var levelMin = zeros.Select(z => -z).ToArray();
        var levelMax = zeros.Select(z => top - z).ToArray();

        var link = new DequantizeWeightLink(name, "", "", data.Name, scaleTensor.Name, bits == 4 ? ElementType.UInt4 : ElementType.UInt8, [rows, cols], 1,
            rows, cols, 1, blocks, block, true, zeros, levelMin, levelMax);
        var codes = NBitsPacking.Unpack(data.AsSpan<byte>(), (int)bits, (int)(rows * cols));
        var w = new float[rows * cols];
        for (long r = 0, i = 0; r < rows; r++)
        {
            for (long c = 0; c < cols; c++, i++)
            {
                int g = link.ScaleIndex(r, c, 0);
                w[i] = (codes[i] - zeros[g]) * s[g];
            }
        }
        string weight = graph.UniqueName(data.Name + "_qat_weight"), scale = graph.UniqueName(data.Name + "_qat_scale");
        graph.SetInitializer(TensorData.FromFloats(weight, [rows, cols], w));
        graph.SetInitializer(TensorData.FromFloats(scale, [rows, blocks], s));
        return link with { Weight = weight, Scale = scale };
    }

    /// <summary>
    /// The fake-quantized table, and a Gather (axis 0) of it in place of each of <paramref name="gathers"/> (which are
    /// removed), under their names and outputs. Returns the stop-gradient value.
    /// </summary>
    public static string Emit(ModelGraph graph, IReadOnlyList<Node> gathers, DequantizeWeightLink link)
    {
        string stem = link.Codes + "_fake_quant";
        string table = graph.UniqueName(stem + "/table");
        string stop = DequantizeWeightRewrite.EmitFakeQuantizer(graph, gathers[0], link, table, stem);
        foreach (var node in gathers)
        {
            var gather = graph.AddNodeBefore(node, OpTypes.Gather, [table, node.Inputs[GatherBlockQuantizedKernel.IndicesInput]], [node.Outputs[0]], node.Name);
            gather.SetInt("axis", GatherBlockQuantizedKernel.GatherAxis);
            graph.RemoveNode(node);
        }
        return stop;
    }

    /// <summary>
    /// Writes the trained <paramref name="w"/> and <paramref name="s"/> into the data and scales initializers of
    /// <paramref name="graph"/> (a copy of the PTQ model): codes clip(W / s, levels) rounded half to even plus the zero
    /// point, packed as the PTQ model packs them (two 4-bit codes a byte, low nibble first, or one 8-bit code); same dims.
    /// </summary>
    public static void Export(ModelGraph graph, DequantizeWeightLink link, float[] w, float[] s)
    {
        var codes = DequantizeWeightRewrite.Codes(link, w, s).Select(c => (byte)c).ToArray();
        var old = graph.FindInitializer(link.Codes)!;
        graph.SetInitializer(TensorData.Create<byte>(link.Codes, old.Dims.ToArray(), link.Packed ? NBitsPacking.Pack(codes, 4) : codes, ElementType.UInt8));
        var oldScales = graph.FindInitializer(link.Scales)!;
        graph.SetInitializer(TensorData.FromFloats(link.Scales, oldScales.Dims.ToArray(), s));
    }
}
