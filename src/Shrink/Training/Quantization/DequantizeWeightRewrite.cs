using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Quantization;

/// <summary>
/// The weight-only layers a PTQ model dequantizes with a DequantizeLinear (Conv weights, MatMul/Gemm groups MatMulNBits
/// cannot carry) for quantization-aware training: the codes become a float weight parameter that starts at their
/// dequantized value, passed through the fake quantizer of <see cref="QatRewriter"/> per channel or per block along the
/// DequantizeLinear's axis with a learnable (LSQ) scale each; export writes the trained values back into the same codes
/// and scales initializers. Zero points stay fixed.
/// </summary>
internal static class DequantizeWeightRewrite
{
    /// <summary>Whether <paramref name="node"/> dequantizes a weight: a DequantizeLinear of an int4/uint4/int8/uint8 initializer.</summary>
    public static bool IsWeightDequantize(ModelGraph graph, Node node) =>
        node.Domain.Length == 0 && node.OpType == OpTypes.DequantizeLinear && node.Inputs.Count > 1
        && graph.FindInitializer(node.Inputs[0]) is { Type: ElementType.Int4 or ElementType.UInt4 or ElementType.Int8 or ElementType.UInt8 };

    /// <summary>The layer reading the dequantized weight (past the Reshape a blocked Conv kernel goes through), or the DequantizeLinear itself.</summary>
    public static Node Layer(ModelGraph graph, Node dq)
    {
        var readers = graph.Consumers(dq.Outputs[0]);
        if (readers.Count != 1) return dq;
        var reader = readers[0];
        if (reader.Domain.Length == 0 && reader.OpType == OpTypes.Reshape && graph.Consumers(reader.Outputs[0]) is { Count: 1 } next) return next[0];
        return reader;
    }

    /// <summary>
    /// Reads one weight DequantizeLinear as the exporter writes it and adds the float weight and scale parameters;
    /// refuses (ShrinkException, naming the node) shared codes, scales that are not positive float initializers of the
    /// documented shape, zero points that are not initializers of the codes' type, and codes outside the grid.
    /// </summary>
    public static DequantizeWeightLink Read(ModelGraph graph, Node dq, Node layer, int bits, string source)
    {
        string name = dq.DisplayName;
        var codes = graph.FindInitializer(dq.Inputs[0])!;
        if (graph.Consumers(codes.Name).Count > 1)
            throw new ShrinkException($"{source}: the weight codes '{codes.Name}' of DequantizeLinear '{name}' are read by {graph.Consumers(codes.Name).Count} nodes; QAT needs one DequantizeLinear per weight.");
        bool packed = codes.Type is ElementType.Int4 or ElementType.UInt4, signed = codes.Type is ElementType.Int4 or ElementType.Int8;
        int container = packed ? 4 : 8;
        if (bits > container)
            throw new ShrinkException($"{source}: DequantizeLinear '{name}' stores {container}-bit codes; {bits}-bit weights do not fit. Pass the --weights it was quantized with.");
        var scaleTensor = graph.FindInitializer(dq.Inputs[1]);
        if (scaleTensor is null || scaleTensor.Type != ElementType.Float)
            throw new ShrinkException($"{source}: DequantizeLinear '{name}' has no float scale initializer; QAT trains float scales.");
        var s = scaleTensor.ToFloatArray();
        foreach (float v in s)
            if (!(v > 0) || !float.IsFinite(v)) throw new ShrinkException($"{source}: DequantizeLinear '{name}' has scale {v}; scales must be positive and finite.");

        var dims = codes.Dims.ToArray();
        long count = codes.ElementCount;
        long block = dq.GetInt("block_size", 0), axisValue = dq.GetInt("axis", 1);
        int axis = (int)(axisValue < 0 ? axisValue + dims.Length : axisValue);
        long outer = 1, length = count, inner = 1, scaleLength = 1, step = count;
        bool perTensor = block <= 0 && (scaleTensor.Dims.Count == 0 || s.Length == 1);
        if (!perTensor)
        {
            if (axis < 0 || axis >= dims.Length)
                throw new ShrinkException($"{source}: DequantizeLinear '{name}' has axis {axisValue} for a tensor of rank {dims.Length}.");
            outer = dims[..axis].Aggregate(1L, (a, b) => a * b);
            length = dims[axis];
            inner = dims[(axis + 1)..].Aggregate(1L, (a, b) => a * b);
            scaleLength = block > 0 ? (length + block - 1) / block : length;
            step = block > 0 ? block : 1;
            var expected = block > 0 ? dims.Select((d, i) => i == axis ? scaleLength : d).ToArray() : [length];
            if (!scaleTensor.Dims.SequenceEqual(expected))
                throw new ShrinkException($"{source}: DequantizeLinear '{name}' has scales [{string.Join(",", scaleTensor.Dims)}] for codes [{string.Join(",", dims)}] (axis {axis}, block {block}); expected [{string.Join(",", expected)}].");
        }

        var zeros = new int[s.Length];
        if (dq.Inputs.Count > 2 && dq.Inputs[2].Length > 0)
        {
            var zp = graph.FindInitializer(dq.Inputs[2]);
            if (zp is null || zp.Type != codes.Type || zp.ElementCount != s.Length)
                throw new ShrinkException($"{source}: the zero points of DequantizeLinear '{name}' are not a {codes.Type.OnnxName()} initializer of {s.Length} values.");
            zeros = Values(zp);
        }
        int codeMin = signed ? -(1 << (bits - 1)) : 0, codeMax = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        var levelMin = new int[s.Length];
        var levelMax = new int[s.Length];
        for (int g = 0; g < s.Length; g++)
        {
            if (zeros[g] < codeMin || zeros[g] > codeMax)
                throw new ShrinkException($"{source}: DequantizeLinear '{name}' has zero point {zeros[g]} outside the {bits}-bit grid {codeMin}..{codeMax}; pass the --weights it was quantized with.");
            levelMin[g] = codeMin - zeros[g];
            levelMax[g] = codeMax - zeros[g];
        }

        var link = new DequantizeWeightLink(layer.DisplayName, "", "", codes.Name, scaleTensor.Name, codes.Type, dims, perTensor ? 0 : axis, outer, length, inner, scaleLength, step, block > 0,
            zeros, levelMin, levelMax);
        var q = Values(codes);
        var w = new float[count];
        for (long o = 0, i = 0; o < outer; o++)
        {
            for (long p = 0; p < length; p++)
            {
                for (long e = 0; e < inner; e++, i++)
                {
                    int g = link.ScaleIndex(o, p, e);
                    if (q[i] < codeMin || q[i] > codeMax)
                        throw new ShrinkException($"{source}: DequantizeLinear '{name}' holds code {q[i]} outside the {bits}-bit grid {codeMin}..{codeMax}; pass the --weights it was quantized with.");
                    w[i] = (q[i] - zeros[g]) * s[g];
                }
            }
        }
        string stem = layer.Name.Length > 0 ? layer.Name : codes.Name;
        string weight = graph.UniqueName(stem + "_qat_weight"), scale = graph.UniqueName(stem + "_qat_scale");
        graph.SetInitializer(TensorData.FromFloats(weight, dims, w));
        graph.SetInitializer(TensorData.FromFloats(scale, scaleTensor.Dims.ToArray(), s));
        return link with { Weight = weight, Scale = scale };
    }

    /// <summary>
    /// The fake-quantized weight in place of the DequantizeLinear (which is removed), under its output name: per tensor,
    /// per channel (the scale reshaped to broadcast along the axis) or per block (the weight padded with zero rows to
    /// whole blocks and split into [blocks, block] along the axis). Returns the stop-gradient value Round(c) − c.
    /// </summary>
    public static string Emit(ModelGraph graph, Node dq, DequantizeWeightLink link)
    {
        string stop = EmitFakeQuantizer(graph, dq, link, dq.Outputs[0], (dq.Name.Length > 0 ? dq.Name : link.Codes) + "_fake_quant");
        graph.RemoveNode(dq);
        return stop;
    }

    /// <summary>
    /// The fake-quantized weight of <paramref name="link"/> under <paramref name="target"/>, its nodes added before
    /// <paramref name="anchor"/> and named from <paramref name="stem"/> (see <see cref="Emit"/>); returns the stop-gradient value.
    /// </summary>
    public static string EmitFakeQuantizer(ModelGraph graph, Node anchor, DequantizeWeightLink link, string target, string stem)
    {
        var dims = link.Dims;
        string Constant(string suffix, Func<string, TensorData> make)
        {
            string name = graph.UniqueName(stem + suffix);
            graph.SetInitializer(make(name));
            return name;
        }
        string Shape(string suffix, long[] values) => Constant(suffix, name => TensorData.Create<long>(name, [values.Length], values, ElementType.Int64));
        string Op(string op, string[] inputs, string suffix, string? output = null)
        {
            output ??= graph.UniqueName(stem + suffix);
            graph.AddNodeBefore(anchor, op, inputs, [output], graph.UniqueName(stem + suffix + "_node"));
            return output;
        }

        bool blocked = link.Blocked, perChannel = !link.Blocked && link.Step == 1 && link.Length > 1;
        int axis = link.Axis;
        long padded = link.ScaleLength * link.Step;
        string weight = link.Weight, scale = link.Scale;
        long[] view = [];
        if (perChannel)
        {
            view = dims.Select((d, i) => i == axis ? d : 1L).ToArray();
            scale = Op(OpTypes.Reshape, [scale, Shape("/scale_shape", view)], "/scale");
        }
        else if (blocked)
        {
            if (padded != link.Length)
            {
                // The last block is short: zero rows (level 0 whatever the scale) fill it, as ONNX's blocked DequantizeLinear reads it.
                var padDims = dims.Select((d, i) => i == axis ? padded - link.Length : d).ToArray();
                string zeros = Constant("/padding", name => TensorData.FromFloats(name, padDims, new float[padDims.Aggregate(1L, (a, b) => a * b)]));
                string full = graph.UniqueName(stem + "/padded");
                var concat = graph.AddNodeBefore(anchor, OpTypes.Concat, [weight, zeros], [full], graph.UniqueName(stem + "/padded_node"));
                concat.SetInt("axis", axis);
                weight = full;
            }
            long[] Split(long inner) => [.. dims[..axis], link.ScaleLength, inner, .. dims[(axis + 1)..]];
            weight = Op(OpTypes.Reshape, [weight, Shape("/blocks_shape", Split(link.Step))], "/blocks");
            view = Split(1);
            scale = Op(OpTypes.Reshape, [scale, Shape("/scale_shape", view)], "/scale");
        }
        string v = Op(OpTypes.Div, [weight, scale], "/scaled");
        string c;
        if (link.LevelMin.All(x => x == link.LevelMin[0]) && link.LevelMax.All(x => x == link.LevelMax[0]))
        {
            string lo = Constant("/min", name => TensorData.FromFloats(name, [], [link.LevelMin[0]]));
            string hi = Constant("/max", name => TensorData.FromFloats(name, [], [link.LevelMax[0]]));
            c = Op(OpTypes.Clip, [v, lo, hi], "/clipped");
        }
        else
        {
            // Zero points differ per channel or block: the bounds are tensors shaped as the scale's view, so Min/Max.
            string lo = Constant("/min", name => TensorData.FromFloats(name, view, link.LevelMin.Select(x => (float)x).ToArray()));
            string hi = Constant("/max", name => TensorData.FromFloats(name, view, link.LevelMax.Select(x => (float)x).ToArray()));
            c = Op(OpTypes.Max, [Op(OpTypes.Min, [v, hi], "/below_max"), lo], "/clipped");
        }
        string rounded = Op(OpTypes.Round, [c], "/rounded");
        string stop = Op(OpTypes.Sub, [rounded, c], "/rounding");
        string r = Op(OpTypes.Add, [c, stop], "/straight_through");
        if (!blocked)
        {
            Op(OpTypes.Mul, [r, scale], "/dequantized", target);
        }
        else
        {
            string y = Op(OpTypes.Mul, [r, scale], "/dequantized");
            var paddedDims = dims.Select((d, i) => i == axis ? padded : d).ToArray();
            if (padded == link.Length)
            {
                Op(OpTypes.Reshape, [y, Shape("/weight_shape", paddedDims)], "/weight", target);
            }
            else
            {
                string full = Op(OpTypes.Reshape, [y, Shape("/weight_shape", paddedDims)], "/weight");
                Op(OpTypes.Slice, [full, Shape("/starts", [0]), Shape("/ends", [link.Length]), Shape("/axes", [axis])], "/weight_rows", target);
            }
        }
        return stop;
    }

    /// <summary>
    /// Writes the trained <paramref name="w"/> and <paramref name="s"/> into the codes and scales initializers of
    /// <paramref name="graph"/> (a copy of the PTQ model): codes clip(W / s, levels) rounded half to even, plus the zero
    /// point, as the fake quantizer computes them; same types and dims.
    /// </summary>
    public static void Export(ModelGraph graph, DequantizeWeightLink link, float[] w, float[] s)
    {
        var codes = Codes(link, w, s);
        byte[] bytes;
        if (link.Packed)
        {
            bytes = link.Signed
                ? NBitsPacking.PackSigned(codes.Select(c => (sbyte)c).ToArray(), 4)
                : NBitsPacking.Pack(codes.Select(c => (byte)c).ToArray(), 4);
        }
        else
        {
            bytes = codes.Select(c => (byte)c).ToArray(); // int8 two's complement or uint8
        }
        graph.SetInitializer(TensorData.Create<byte>(link.Codes, link.Dims, bytes, link.Type));
        var old = graph.FindInitializer(link.Scales)!;
        graph.SetInitializer(TensorData.FromFloats(link.Scales, old.Dims.ToArray(), s));
    }

    /// <summary>
    /// The codes of the trained <paramref name="w"/> and <paramref name="s"/>: clip(W / s, levels) rounded half to even,
    /// plus the zero point, as the fake quantizer computes them, in the weight's order.
    /// </summary>
    public static int[] Codes(DequantizeWeightLink link, float[] w, float[] s)
    {
        var codes = new int[link.Count];
        for (long o = 0, i = 0; o < link.Outer; o++)
        {
            for (long p = 0; p < link.Length; p++)
            {
                for (long e = 0; e < link.Inner; e++, i++)
                {
                    int g = link.ScaleIndex(o, p, e);
                    float v = Math.Clamp(w[i] / s[g], link.LevelMin[g], link.LevelMax[g]);
                    codes[i] = (int)MathF.Round(v, MidpointRounding.ToEven) + link.ZeroPoints[g];
                }
            }
        }
        return codes;
    }

    /// <summary>The LSQ hint of a scale: learning rate × 1/√(N·Qp), N the weights one scale serves; a floor; no decay.</summary>
    public static ParameterHint ScaleHint(DequantizeWeightLink link, float[] scales)
    {
        int positive = 0;
        for (int i = 0; i < link.LevelMax.Length; i++) positive = Math.Max(positive, Math.Max(link.LevelMax[i], -link.LevelMin[i]));
        return new ParameterHint
        {
            LearningRateScale = 1 / Math.Sqrt((double)(link.Count / link.ZeroPoints.Length) * Math.Max(1, positive)),
            Minimum = Math.Max(QuantMath.MinScale, 1e-3f * scales.Min()),
            Decay = false,
        };
    }

    // The integer values of an int4/uint4/int8/uint8 initializer.
    private static int[] Values(TensorData t)
    {
        int count = (int)t.ElementCount;
        var raw = t.RawBytes;
        return t.Type switch
        {
            ElementType.Int4 => [.. NBitsPacking.UnpackSigned(raw, 4, count).Select(v => (int)v)],
            ElementType.UInt4 => [.. NBitsPacking.Unpack(raw, 4, count).Select(v => (int)v)],
            ElementType.Int8 => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(raw[..count]).ToArray().Select(v => (int)v)],
            _ => [.. raw[..count].ToArray().Select(v => (int)v)],
        };
    }
}
