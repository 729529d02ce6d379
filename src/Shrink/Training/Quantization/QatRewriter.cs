using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Runtime;

namespace Shrink.Training.Quantization;

/// <summary>
/// Turns a static QDQ model (as <c>shrink quantize</c> writes it) into a float model for quantization-aware training:
/// every weight behind a DequantizeLinear becomes a float initializer holding its dequantized value, every weight
/// DequantizeLinear and every activation QuantizeLinear → DequantizeLinear pair becomes a <see cref="FakeQuantizer"/>
/// (straight-through estimator, LSQ learnable scale), int32 biases become float initializers, and scales become float
/// parameters (per channel where the PTQ model is per channel); zero points stay fixed. Before any training the model
/// computes what the PTQ model computes with its Q/DQ run as written (at 8 bits). <see cref="QatModel.Export"/> writes
/// the trained values back into the PTQ model's structure.
/// </summary>
/// <remarks>
/// Below 8 activation bits the PTQ model holds Q → Clip → DQ (the Clip keeps the codes to the 2^bits levels); the fake
/// quantizer takes the Clip's place as well, clipping at the same edge, and export keeps the Clip.
/// </remarks>
public static class QatRewriter
{
    /// <summary>
    /// Rewrites <paramref name="ptq"/> (not modified). Refuses (ShrinkException, naming the node) models without Q/DQ,
    /// integer kernels or dynamic quantization, Q/DQ pairs whose scales or zero points differ, per-axis activation
    /// quantization, weight codes outside the <see cref="QatOptions.WeightBits"/> grid, and int32 biases whose layer has
    /// no quantized activation and weight to derive their scale from.
    /// </summary>
    public static QatModel Rewrite(OnnxModel ptq, QatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(ptq);
        options ??= new QatOptions();
        options.Validate();
        string source = ptq.Name;
        var model = ptq.Clone();
        var graph = model.Graph;
        var nodes = graph.Nodes.ToList();
        foreach (var node in nodes) RefuseUnsupported(node, source);
        if (!nodes.Any(n => n.Domain.Length == 0 && n.OpType is OpTypes.QuantizeLinear or OpTypes.DequantizeLinear))
            throw new ShrinkException($"{source}: no QuantizeLinear/DequantizeLinear nodes; quantization-aware training starts from a static QDQ model (shrink quantize).");

        var quantizers = new List<FakeQuantizer>();
        var weights = new List<WeightLink>();
        var biases = new List<BiasLink>();
        var activationScales = new List<string>();
        var weightScaleOf = new Dictionary<string, string>(StringComparer.Ordinal);      // weight DQ output → scale
        var activationScaleOf = new Dictionary<string, string>(StringComparer.Ordinal);  // activation DQ output → scale
        var stops = new List<string>();
        var emitted = new List<(Node Q, List<Node> Dqs)>();

        // Weights: int8/uint8 initializer → DequantizeLinear.
        int weightLimit = QuantMath.WeightLimit(options.WeightBits);
        foreach (var dq in nodes.Where(n => IsDq(n) && graph.FindInitializer(n.Inputs[0]) is { Type: ElementType.Int8 or ElementType.UInt8 }))
        {
            var codes = graph.FindInitializer(dq.Inputs[0])!;
            if (graph.Consumers(codes.Name).Count > 1)
                throw new ShrinkException($"{source}: weight codes '{codes.Name}' are read by {graph.Consumers(codes.Name).Count} nodes; QAT needs one DequantizeLinear per weight.");
            var (scale, zeroPoint, axis) = Parameters(graph, dq, codes.Dims, source);
            int lo = zeroPoint - weightLimit, hi = zeroPoint + weightLimit;
            var q = codes.ToFloatArray();
            var (outer, channels, inner) = axis is int a ? QuantMath.Split(codes.Dims, a) : (1L, 1, q.LongLength);
            var w = new float[q.Length];
            for (long o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    float s = scale.Values[c];
                    for (long i = (o * channels + c) * inner, end = i + inner; i < end; i++)
                    {
                        if (q[i] < lo || q[i] > hi)
                            throw new ShrinkException($"{source}: weight '{codes.Name}' (node '{dq.DisplayName}') holds code {q[i]} outside the {options.WeightBits}-bit grid {lo}..{hi}; pass the --weight-bits it was quantized with.");
                        w[i] = (q[i] - zeroPoint) * s;
                    }
                }
            string stem = codes.Name.EndsWith("_quantized", StringComparison.Ordinal) ? codes.Name[..^"_quantized".Length] : codes.Name + "_float";
            string weight = graph.UniqueName(stem);
            graph.SetInitializer(TensorData.FromFloats(weight, codes.Dims.ToArray(), w));
            string scaleValue = axis is int ax ? PerChannel(graph, scale.Name, codes.Dims.Count, ax, channels) : scale.Name;
            string output = dq.Outputs[0];
            graph.RemoveNode(dq);
            string stop = EmitFakeQuantizer(graph, weight, output, scale.Name, scaleValue, zeroPoint, lo, hi);
            quantizers.Add(new FakeQuantizer(true, weight, output, scale.Name, zeroPoint, lo, hi, axis, stop));
            weights.Add(new WeightLink(weight, codes.Name, scale.Name, zeroPoint, lo, hi, axis));
            weightScaleOf[output] = scale.Name;
            stops.Add(stop);
        }

        // Activations: QuantizeLinear → DequantizeLinear pairs (and Shape nodes reading the codes).
        foreach (var q in nodes.Where(n => n.Domain.Length == 0 && n.OpType == OpTypes.QuantizeLinear))
        {
            string x = q.Inputs[0], codes = q.Outputs[0];
            var readers = graph.Consumers(codes).ToList();
            // Below 8 bits shrink quantize writes Q → Clip → DQ (the Clip keeps the codes to the 2^bits levels); the fake
            // quantizer clips there itself, so the Clip goes with the pair and its bounds narrow the grid.
            var codeClip = readers.Count(r => r.Domain.Length == 0 && r.OpType == OpTypes.Clip) == 1 ? readers.First(r => r.Domain.Length == 0 && r.OpType == OpTypes.Clip) : null;
            (int Lo, int Hi)? clipBounds = null;
            if (codeClip is not null)
            {
                clipBounds = CodeClipBounds(graph, codeClip, source);
                if (graph.IsGraphOutput(codeClip.Outputs[0])) throw new ShrinkException($"{source}: the clipped codes of QuantizeLinear '{q.DisplayName}' are a graph output; QAT supports Q → DequantizeLinear pairs.");
                readers = [.. readers.Where(r => r != codeClip), .. graph.Consumers(codeClip.Outputs[0])];
            }
            var dqs = readers.Where(IsDq).ToList();
            var other = readers.FirstOrDefault(r => !IsDq(r) && !(r.OpType == OpTypes.Shape && r.Domain.Length == 0));
            if (other is not null)
                throw new ShrinkException($"{source}: the codes of QuantizeLinear '{q.DisplayName}' feed node '{other.DisplayName}' ({other.OpType}); QAT supports Q → DequantizeLinear pairs.");
            if (dqs.Count == 0) throw new ShrinkException($"{source}: QuantizeLinear '{q.DisplayName}' has no DequantizeLinear.");
            if (graph.IsGraphOutput(codes)) throw new ShrinkException($"{source}: the codes of QuantizeLinear '{q.DisplayName}' are a graph output; QAT supports Q → DequantizeLinear pairs.");
            if (q.Inputs.Count < 2 || graph.FindInitializer(q.Inputs[1]) is not { } scaleTensor || scaleTensor.ElementCount != 1)
                throw new ShrinkException($"{source}: QuantizeLinear '{q.DisplayName}' has no per-tensor scale initializer; QAT supports per-tensor activation quantization.");
            var zp = q.Inputs.Count > 2 && q.Inputs[2].Length > 0 ? graph.FindInitializer(q.Inputs[2]) : null;
            if (q.Inputs.Count > 2 && q.Inputs[2].Length > 0 && zp is null)
                throw new ShrinkException($"{source}: the zero point of QuantizeLinear '{q.DisplayName}' is not an initializer.");
            var type = zp?.Type ?? ElementType.UInt8;
            if (type is not (ElementType.Int8 or ElementType.UInt8))
                throw new ShrinkException($"{source}: QuantizeLinear '{q.DisplayName}' quantizes to {type.OnnxName()}; QAT supports int8 and uint8.");
            int zeroPoint = zp is null ? 0 : (int)zp.ToFloatArray()[0];
            foreach (var dq in dqs)
            {
                bool same = dq.Inputs.Count > 1 && SameValue(graph, dq.Inputs[1], q.Inputs[1])
                    && SameValue(graph, dq.Inputs.Count > 2 ? dq.Inputs[2] : "", q.Inputs.Count > 2 ? q.Inputs[2] : "");
                if (!same) throw new ShrinkException($"{source}: DequantizeLinear '{dq.DisplayName}' does not use the scale and zero point of its QuantizeLinear '{q.DisplayName}'.");
            }
            var (lo, hi) = ActivationGrid(type, zeroPoint, options);
            if (clipBounds is var (clipLo, clipHi)) (lo, hi) = (Math.Max(lo, clipLo), Math.Min(hi, clipHi));
            if (zeroPoint < lo || zeroPoint > hi)
                throw new ShrinkException($"{source}: QuantizeLinear '{q.DisplayName}' has zero point {zeroPoint} outside the {options.ActivationBits}-bit grid {lo}..{hi}; pass the --activation-bits and --symmetric-activations it was quantized with.");
            string scale = q.Inputs[1];
            if (scaleTensor.Type != ElementType.Float) throw new ShrinkException($"{source}: the scale of QuantizeLinear '{q.DisplayName}' is {scaleTensor.Type.OnnxName()}; QAT trains float scales.");
            string output = dqs[0].Outputs[0];
            var outputs = dqs.Select(dq => dq.Outputs[0]).ToList();
            foreach (var reader in readers.Where(r => r.OpType == OpTypes.Shape)) graph.SetInput(reader, 0, x);
            foreach (var dq in dqs) graph.RemoveNode(dq);
            if (codeClip is not null) graph.RemoveNode(codeClip);
            graph.RemoveNode(q);
            string stop = EmitFakeQuantizer(graph, x, output, scale, scale, zeroPoint, lo, hi);
            quantizers.Add(new FakeQuantizer(false, x, output, scale, zeroPoint, lo, hi, null, stop));
            stops.Add(stop);
            if (!activationScales.Contains(scale)) activationScales.Add(scale);
            foreach (var o in outputs) activationScaleOf[o] = scale;
            foreach (var o in outputs.Skip(1)) graph.AddNode(OpTypes.Identity, [output], [o], graph.UniqueName(o + "_fake_quant"));
        }

        // Biases: int32 initializer → DequantizeLinear, scale s_in · s_w of the layer reading it.
        foreach (var dq in nodes.Where(n => IsDq(n) && graph.FindInitializer(n.Inputs[0]) is { Type: ElementType.Int32 }))
        {
            var codes = graph.FindInitializer(dq.Inputs[0])!;
            var (scale, zeroPoint, _) = Parameters(graph, dq, codes.Dims, source);
            var layer = graph.Consumers(dq.Outputs[0]).FirstOrDefault()
                ?? throw new ShrinkException($"{source}: the int32 bias '{codes.Name}' (node '{dq.DisplayName}') is not read by any node.");
            string? input = layer.Inputs.Where(activationScaleOf.ContainsKey).Select(i => activationScaleOf[i]).FirstOrDefault();
            string? weight = layer.Inputs.Where(weightScaleOf.ContainsKey).Select(i => weightScaleOf[i]).FirstOrDefault();
            if (input is null || weight is null || graph.Consumers(dq.Outputs[0]).Count > 1)
                throw new ShrinkException($"{source}: the int32 bias '{codes.Name}' (node '{dq.DisplayName}') is not read by one layer with a quantized activation and weight, so its scale cannot follow the trained ones.");
            var q = codes.AsSpan<int>();
            var b = new float[q.Length];
            for (int i = 0; i < q.Length; i++) b[i] = (float)((double)(q[i] - zeroPoint) * scale.Values[scale.Values.Length == 1 ? 0 : i]);
            string stem = codes.Name.EndsWith("_quantized", StringComparison.Ordinal) ? codes.Name[..^"_quantized".Length] : codes.Name + "_float";
            string bias = graph.UniqueName(stem);
            graph.SetInitializer(TensorData.FromFloats(bias, codes.Dims.ToArray(), b));
            graph.RemoveNode(dq);
            graph.AddNode(OpTypes.Identity, [bias], [dq.Outputs[0]], graph.UniqueName(dq.DisplayName + "_float"));
            biases.Add(new BiasLink(bias, codes.Name, scale.Name, input, weight));
        }
        foreach (var dq in graph.Nodes.Where(IsDq).ToList())
            throw new ShrinkException($"{source}: DequantizeLinear '{dq.DisplayName}' reads '{dq.Inputs[0]}', which is neither a weight initializer nor the codes of a QuantizeLinear.");

        graph.RemoveUnusedInitializers();
        graph.SortTopologically();
        if (model.OpsetVersion() < 13) model.SetOpsetVersion("", 13);

        var hints = Hints(ptq, model, weights, biases, activationScales, quantizers, options);
        return new QatModel(ptq, model, hints, stops, quantizers, weights, biases, activationScales);
    }

    private static List<(string Name, ParameterRole Role, ParameterHint Hint)> Hints(OnnxModel ptq, OnnxModel model, List<WeightLink> weights, List<BiasLink> biases, List<string> activationScales,
        List<FakeQuantizer> quantizers, QatOptions options)
    {
        var graph = model.Graph;
        var hints = new List<(string, ParameterRole, ParameterHint)>();
        foreach (var w in weights) hints.Add((w.Weight, ParameterRole.Weight, new ParameterHint()));
        foreach (var b in biases) hints.Add((b.Bias, ParameterRole.Bias, new ParameterHint()));
        foreach (var w in weights.DistinctBy(w => w.Scale))
        {
            var weight = graph.FindInitializer(w.Weight)!;
            long perScale = weight.ElementCount / (w.Axis is int a ? weight.Dims[a] : 1);
            hints.Add(ScaleHint(graph, w.Scale, ParameterRole.WeightScale, perScale, Math.Max(w.QMax - w.ZeroPoint, w.ZeroPoint - w.QMin)));
        }
        Dictionary<string, long[]>? shapes = null;
        if (options.Sample is { } sample)
        {
            shapes = new(ValueShapeProbe.Measure(ptq, sample, quantizers.Where(q => !q.IsWeight).Select(q => q.Input).Distinct()), StringComparer.Ordinal);
            foreach (var input in sample.Inputs) shapes.TryAdd(input.Name, input.Shape);
        }
        foreach (var scale in activationScales)
        {
            var first = quantizers.First(q => !q.IsWeight && q.Scale == scale);
            long features = shapes is not null && shapes.TryGetValue(first.Input, out var dims) && dims.Length > 0
                ? Math.Max(1, dims.Aggregate(1L, (x, y) => x * y) / Math.Max(1, dims[0]))
                : 1;
            hints.Add(ScaleHint(graph, scale, ParameterRole.ActivationScale, features, Math.Max(first.QMax - first.ZeroPoint, first.ZeroPoint - first.QMin)));
        }
        return hints;
    }

    // LSQ: learning rate × 1/√(N·Qp); kept above a thousandth of the smallest initial value; no weight decay.
    private static (string, ParameterRole, ParameterHint) ScaleHint(ModelGraph graph, string scale, ParameterRole role, long elements, int positiveLevels)
    {
        var values = graph.FindInitializer(scale)!.ToFloatArray();
        float minimum = Math.Max(QuantMath.MinScale, 1e-3f * values.Min());
        return (scale, role, new ParameterHint
        {
            LearningRateScale = 1 / Math.Sqrt((double)elements * Math.Max(1, positiveLevels)),
            Minimum = minimum,
            Decay = false,
        });
    }

    /// <summary>
    /// The activation grid in the container: 8 bits the whole type; below, <see cref="QuantMath.ActivationGrid"/>
    /// (asymmetric) or the zero point ± (2^(bits−1) − 1) (symmetric), as <see cref="QuantMath.ForRange"/> maps ranges.
    /// </summary>
    internal static (int Lo, int Hi) ActivationGrid(ElementType type, int zeroPoint, QatOptions options) =>
        QuantMath.ActivationCodes(type, zeroPoint, options.ActivationBits, options.SymmetricActivations);

    // v = x / s; c = Clip(v, lo − z, hi − z); r = c + stop(Round(c) − c); y = r · s. Returns the stopped value's name.
    private static string EmitFakeQuantizer(ModelGraph graph, string x, string y, string scaleName, string scale, int zeroPoint, int lo, int hi)
    {
        string stem = y + "_fake_quant";
        string Scalar(string suffix, float value)
        {
            string name = graph.UniqueName(stem + suffix);
            graph.SetInitializer(TensorData.FromFloats(name, [], [value]));
            return name;
        }
        string Node(string op, string[] inputs, string suffix)
        {
            string output = graph.UniqueName(stem + suffix);
            graph.AddNode(op, inputs, [output], graph.UniqueName(stem + suffix + "_node"));
            return output;
        }
        string v = Node(OpTypes.Div, [x, scale], "/scaled");
        string c = Node(OpTypes.Clip, [v, Scalar("/min", lo - zeroPoint), Scalar("/max", hi - zeroPoint)], "/clipped");
        string rounded = Node(OpTypes.Round, [c], "/rounded");
        string stop = Node(OpTypes.Sub, [rounded, c], "/rounding");
        string r = Node(OpTypes.Add, [c, stop], "/straight_through");
        graph.AddNode(OpTypes.Mul, [r, scale], [y], graph.UniqueName(stem + "/" + scaleName));
        return stop;
    }

    // A [C] scale reshaped to broadcast along axis of a rank-r weight.
    private static string PerChannel(ModelGraph graph, string scale, int rank, int axis, int channels)
    {
        var dims = new long[rank];
        Array.Fill(dims, 1L);
        dims[axis] = channels;
        string shape = graph.UniqueName(scale + "_shape");
        graph.SetInitializer(TensorData.Create<long>(shape, [rank], dims, ElementType.Int64));
        string output = graph.UniqueName(scale + "_per_channel");
        graph.AddNode(OpTypes.Reshape, [scale, shape], [output], graph.UniqueName(scale + "_per_channel_node"));
        return output;
    }

    private static (ScaleTensor Scale, int ZeroPoint, int? Axis) Parameters(ModelGraph graph, Node dq, IReadOnlyList<long> dims, string source)
    {
        if (dq.Inputs.Count < 2 || graph.FindInitializer(dq.Inputs[1]) is not { Type: ElementType.Float } scale)
            throw new ShrinkException($"{source}: DequantizeLinear '{dq.DisplayName}' has no float scale initializer.");
        var values = scale.ToFloatArray();
        int? axis = null;
        if (scale.Dims.Count > 0 && values.Length > 1 || scale.Dims.Count == 1)
        {
            long a = dq.GetInt("axis", 1);
            if (a < 0) a += dims.Count;
            if (a < 0 || a >= dims.Count || dims[(int)a] != values.Length)
                throw new ShrinkException($"{source}: DequantizeLinear '{dq.DisplayName}' has {values.Length} scales along axis {dq.GetInt("axis", 1)} of a tensor with dims [{string.Join(",", dims)}].");
            axis = (int)a;
        }
        int zeroPoint = 0;
        if (dq.Inputs.Count > 2 && dq.Inputs[2].Length > 0)
        {
            var zp = graph.FindInitializer(dq.Inputs[2]) ?? throw new ShrinkException($"{source}: the zero point of DequantizeLinear '{dq.DisplayName}' is not an initializer.");
            var z = zp.ToFloatArray();
            if (z.Length > 0 && z.Any(v => v != z[0]))
                throw new ShrinkException($"{source}: DequantizeLinear '{dq.DisplayName}' has different zero points per channel; QAT supports one zero point per tensor.");
            zeroPoint = z.Length == 0 ? 0 : (int)z[0];
        }
        foreach (float s in values)
            if (!(s > 0) || !float.IsFinite(s)) throw new ShrinkException($"{source}: DequantizeLinear '{dq.DisplayName}' has scale {s}; scales must be positive and finite.");
        return (new ScaleTensor(scale.Name, values), zeroPoint, axis);
    }

    // The integer bounds of a Clip on activation codes (both given as scalar initializers of the codes' type).
    private static (int Lo, int Hi) CodeClipBounds(ModelGraph graph, Node clip, string source)
    {
        TensorData? Bound(int i) => clip.Inputs.Count > i && clip.Inputs[i].Length > 0 ? graph.FindInitializer(clip.Inputs[i]) : null;
        if (Bound(1) is not { Type: ElementType.Int8 or ElementType.UInt8, ElementCount: 1 } min || Bound(2) is not { Type: ElementType.Int8 or ElementType.UInt8, ElementCount: 1 } max)
            throw new ShrinkException($"{source}: Clip '{clip.DisplayName}' on activation codes has no integer min and max initializers; QAT supports the Q → Clip → DequantizeLinear form shrink quantize writes below 8 bits.");
        return ((int)min.ToFloatArray()[0], (int)max.ToFloatArray()[0]);
    }

    private static bool IsDq(Node node) => node.Domain.Length == 0 && node.OpType == OpTypes.DequantizeLinear;

    private static bool SameValue(ModelGraph graph, string a, string b)
    {
        if (a == b) return true;
        if (a.Length == 0 || b.Length == 0) return false;
        var ta = graph.FindInitializer(a);
        var tb = graph.FindInitializer(b);
        return ta is not null && tb is not null && ta.Type == tb.Type && ta.Dims.SequenceEqual(tb.Dims) && ta.RawBytes.SequenceEqual(tb.RawBytes);
    }

    private static void RefuseUnsupported(Node node, string source)
    {
        bool quantized = node.OpType.StartsWith("QLinear", StringComparison.Ordinal) || node.OpType.EndsWith("Integer", StringComparison.Ordinal)
            || node.OpType is OpTypes.DynamicQuantizeLinear or OpTypes.MatMulNBits or OpTypes.GatherBlockQuantized or OpTypes.DynamicQuantizeMatMul
            || node.Domain.Length > 0 && node.OpType is OpTypes.QuantizeLinear or OpTypes.DequantizeLinear;
        if (quantized)
            throw new ShrinkException($"{source}: node '{node.DisplayName}' ({(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType}) is not part of a static QDQ model; quantization-aware training rewrites the QuantizeLinear/DequantizeLinear form that shrink quantize writes by default.");
    }

    private sealed record ScaleTensor(string Name, float[] Values);
}
