using Shrink.Calibration;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Applies a <see cref="QdqPlan"/> with calibrated ranges: folds Relu/Clip, inserts one QuantizeLinear/DequantizeLinear
/// pair per marked activation (shared parameters reuse the same scale and zero-point initializers, which ORT needs to
/// drop the pair around MaxPool/Reshape), stores weights as int8 with per-channel DequantizeLinear and biases as int32.
/// Below 8 activation bits each calibrated pair gets a Clip on its codes (Q → Clip → DQ) that keeps them to the 2^bits
/// levels (<see cref="QuantMath.ActivationCodes"/>), so values beyond the calibrated range clip at that edge as on B-bit
/// hardware; ORT still fuses DQ → op → Q into its 8-bit kernels and runs the Clip on the 8-bit tensor (a float Clip
/// before the QuantizeLinear would keep the op before it out of the integer kernel: 4× slower on resnet8). Ops that share
/// their input's parameters (MaxPool, Reshape...) only select codes, so one Clip per chain of them suffices; it goes at
/// the chain's end (<see cref="CodeClips"/>).
/// </summary>
public static class QdqInserter
{
    /// <summary>
    /// Rewrites <paramref name="model"/> in place; returns the parameters per activation tensor and the names of their
    /// dequantized copies. Weights are rounded to nearest on the symmetric <see cref="StaticQuantizationOptions.WeightBits"/>
    /// grid, except those named in <paramref name="weightCodes"/> (by initializer name), whose codes and scales are written as given.
    /// </summary>
    public static QdqApplication Apply(OnnxModel model, QdqPlan plan, IReadOnlyDictionary<string, CalibrationRange> ranges, StaticQuantizationOptions options,
        IReadOnlyDictionary<string, QdqWeightCodes>? weightCodes = null)
    {
        var graph = model.Graph;
        var parameters = new Dictionary<string, QuantParams>(StringComparer.Ordinal);
        foreach (var t in plan.CalibratedTensors)
        {
            if (!ranges.TryGetValue(t, out var range))
                throw new InvalidOperationException($"No calibrated range for tensor '{t}'.");
            parameters[t] = QuantMath.ForRange(range, options.ActivationType, options.SymmetricActivations, options.ActivationBits);
        }
        foreach (var t in plan.SharedWith.Keys) parameters[t] = parameters[plan.ParamsSource(t)];

        foreach (var swap in plan.ReluPoolSwaps)
        {
            // x → Relu → MaxPool → y  becomes  x → MaxPool → Max(·, 0) → y (same values, y keeps its name).
            string y = swap.Pool.Outputs[0], pooled = graph.UniqueName(y + "_pooled"), zero = graph.UniqueName(y + "_zero");
            graph.SetInitializer(TensorData.FromFloats(zero, [], [0f]));
            graph.SetInput(swap.Pool, 0, swap.Relu.Inputs[0]);
            graph.SetOutput(swap.Pool, 0, pooled);
            graph.AddNodeAfter(swap.Pool, OpTypes.Max, [pooled, zero], [y], graph.UniqueName(swap.Relu.DisplayName + "_after_pool"));
            graph.RemoveNode(swap.Relu);
        }

        foreach (var fold in plan.Folded)
        {
            graph.SetOutput(fold.Producer, 0, fold.Activation.Outputs[0]);
            graph.RemoveNode(fold.Activation);
        }

        // Activations: one Q/DQ pair per tensor; shared tensors reuse their source's initializers.
        var paramNames = new Dictionary<string, (string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        (string, string) ParamNames(string tensor)
        {
            string source = plan.ParamsSource(tensor);
            if (paramNames.TryGetValue(source, out var names)) return names;
            var p = parameters[source];
            string scale = graph.UniqueName(source + "_scale"), zp = graph.UniqueName(source + "_zero_point");
            graph.SetInitializer(TensorData.FromFloats(scale, [], [p.Scale]));
            graph.SetInitializer(ZeroPoint(zp, p.Type, [], [p.ZeroPoint]));
            return paramNames[source] = (scale, zp);
        }
        // Below 8 bits: the Clip bounds of a code grid, one pair of scalars per (type, lo, hi).
        var boundNames = new Dictionary<(ElementType, int, int), (string Min, string Max)>();
        (string, string) CodeBounds(ElementType type, int lo, int hi)
        {
            if (boundNames.TryGetValue((type, lo, hi), out var names)) return names;
            string min = graph.UniqueName($"codes_{type.OnnxName()}_min_{lo}".Replace('-', 'm')), max = graph.UniqueName($"codes_{type.OnnxName()}_max_{hi}".Replace('-', 'm'));
            graph.SetInitializer(ZeroPoint(min, type, [], [lo]));
            graph.SetInitializer(ZeroPoint(max, type, [], [hi]));
            return boundNames[(type, lo, hi)] = (min, max);
        }
        var codeClips = options.ActivationBits < 8 ? CodeClips(graph, plan) : [];
        var dequantizedNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tensor in plan.CalibratedTensors.Concat(plan.SharedWith.Keys))
        {
            var (scale, zp) = ParamNames(tensor);
            string quantized = graph.UniqueName(tensor + "_quantized"), dequantized = graph.UniqueName(tensor + "_dequantized");
            var producer = graph.Producer(tensor);
            string qName = graph.UniqueName(tensor + "_QuantizeLinear"), dqName = graph.UniqueName(tensor + "_DequantizeLinear");
            var q = producer is null
                ? graph.AddNode(OpTypes.QuantizeLinear, [tensor, scale, zp], [quantized], qName, insertAt: 0)
                : graph.AddNodeAfter(producer, OpTypes.QuantizeLinear, [tensor, scale, zp], [quantized], qName);
            var last = q;
            string codes = quantized;
            if (codeClips.Contains(tensor))
            {
                var p = parameters[plan.ParamsSource(tensor)];
                var (lo, hi) = QuantMath.ActivationCodes(p.Type, p.ZeroPoint, options.ActivationBits, options.SymmetricActivations);
                var (min, max) = CodeBounds(p.Type, lo, hi);
                codes = graph.UniqueName(tensor + "_codes_clipped");
                last = graph.AddNodeAfter(q, OpTypes.Clip, [quantized, min, max], [codes], graph.UniqueName(tensor + "_ClipCodes"));
            }
            graph.AddNodeAfter(last, OpTypes.DequantizeLinear, [codes, scale, zp], [dequantized], dqName);
            graph.RedirectConsumers(tensor, dequantized, except: q);
            // Shape reads only dims: it reads the 8-bit tensor, so no DequantizeLinear runs just to be measured (reading
            // the float tensor instead would give its producer a second consumer and keep ORT from fusing it with the Q).
            foreach (var reader in graph.Consumers(dequantized).Where(c => c.OpType == OpTypes.Shape && c.Domain.Length == 0).ToList())
                graph.SetInput(reader, 0, quantized);
            dequantizedNames[tensor] = dequantized;
            // The DequantizeLinear we just added reads the codes, not 'tensor', so it is unaffected.
        }

        // Weights: int8 initializer + DequantizeLinear (per channel on the output-channel axis).
        var weightScales = new Dictionary<WeightMark, float[]>();
        var doneWeights = new Dictionary<(string, int?), (string Output, float[] Scales)>();
        foreach (var mark in plan.Weights)
        {
            string name = mark.Node.Inputs[mark.InputIndex];
            if (!doneWeights.TryGetValue((name, mark.Axis), out var done))
            {
                var w = graph.FindInitializer(name)!;
                long bad = w.IndexOfNonFinite();
                if (bad >= 0)
                    throw new ShrinkException($"Weight '{name}' of node '{mark.Node.DisplayName}' holds NaN or Inf at element {bad}; fix the model before quantizing.");
                var values = w.AsSpan<float>();
                sbyte[] q;
                float[] scales;
                if (weightCodes is not null && weightCodes.TryGetValue(name, out var given))
                {
                    long channels = mark.Axis is int a ? w.Dims[a] : 1;
                    if (given.Codes.Length != values.Length || given.Scales.Length != channels)
                        throw new InvalidOperationException($"Weight codes for '{name}' have {given.Codes.Length} codes and {given.Scales.Length} scales; the weight has {values.Length} elements and {channels} channels.");
                    (q, scales) = (given.Codes, given.Scales);
                }
                else
                {
                    q = new sbyte[values.Length];
                    scales = mark.Axis is int axis
                        ? QuantMath.QuantizeWeightsPerChannel(values, w.Dims, axis, q, options.WeightBits)
                        : [QuantMath.QuantizeWeightsPerTensor(values, q, options.WeightBits)];
                }
                long[] dims = w.Dims.ToArray();
                long[] paramDims = mark.Axis is null ? [] : [scales.Length];
                string qName = graph.UniqueName(name + "_quantized"), sName = graph.UniqueName(name + "_scale"), zName = graph.UniqueName(name + "_zero_point"), dqName = graph.UniqueName(name + "_dequantized");
                graph.SetInitializer(TensorData.Create<sbyte>(qName, dims, q, ElementType.Int8));
                graph.SetInitializer(TensorData.FromFloats(sName, paramDims, scales));
                graph.SetInitializer(TensorData.Create<sbyte>(zName, paramDims, new sbyte[scales.Length], ElementType.Int8));
                var dq = graph.AddNode(OpTypes.DequantizeLinear, [qName, sName, zName], [dqName], graph.UniqueName(name + "_DequantizeLinear"), insertAt: 0);
                if (mark.Axis is int ax) dq.SetInt("axis", ax);
                doneWeights[(name, mark.Axis)] = done = (dqName, scales);
            }
            graph.SetInput(mark.Node, mark.InputIndex, done.Output);
            weightScales[mark] = done.Scales;
        }

        // Biases: int32 with scale s_in · s_w (per channel), so integer kernels add them exactly.
        foreach (var mark in plan.Biases)
        {
            string name = mark.Node.Inputs[mark.BiasIndex];
            var b = graph.FindInitializer(name)!;
            long bad = b.IndexOfNonFinite();
            if (bad >= 0)
                throw new ShrinkException($"Bias '{name}' of node '{mark.Node.DisplayName}' holds NaN or Inf at element {bad}.");
            float inputScale = parameters[mark.ActivationInput].Scale;
            var ws = weightScales[mark.Weight];
            var q = QuantMath.QuantizeBias(b.AsSpan<float>(), inputScale, ws);
            var scales = Enumerable.Range(0, q.Length).Select(c => inputScale * ws[ws.Length == 1 ? 0 : c]).ToArray();
            string qName = graph.UniqueName(name + "_quantized"), sName = graph.UniqueName(name + "_scale"), zName = graph.UniqueName(name + "_zero_point"), dqName = graph.UniqueName(name + "_dequantized");
            graph.SetInitializer(TensorData.Create<int>(qName, [q.Length], q, ElementType.Int32));
            graph.SetInitializer(TensorData.FromFloats(sName, [q.Length], scales));
            graph.SetInitializer(TensorData.Create<int>(zName, [q.Length], new int[q.Length], ElementType.Int32));
            var dq = graph.AddNode(OpTypes.DequantizeLinear, [qName, sName, zName], [dqName], graph.UniqueName(name + "_DequantizeLinear"), insertAt: 0);
            dq.SetInt("axis", 0);
            graph.SetInput(mark.Node, mark.BiasIndex, dqName);
        }

        graph.RemoveUnusedInitializers();
        graph.SortTopologically();
        if (model.OpsetVersion() < 13) model.SetOpsetVersion("", 13);
        model.ProducerName = "shrink";
        return new QdqApplication(parameters, dequantizedNames);
    }

    // The tensors whose codes get a Clip of their own below 8 bits. A tensor sharing its input's parameters (MaxPool,
    // Reshape...) only selects values of that input, so once a tensor upstream is clipped its codes stay inside the grid;
    // and a tensor read only by such ops leaves its Clip to their outputs (clipping commutes with selecting values). On
    // cnn_small a Clip between a QLinearConv and the uint8 MaxPool after it doubled the time; after the MaxPool it cost nothing.
    private static HashSet<string> CodeClips(ModelGraph graph, QdqPlan plan)
    {
        var own = new HashSet<string>(StringComparer.Ordinal);
        var clipped = new Dictionary<string, bool>(StringComparer.Ordinal); // codes inside the grid once the tensor's pair ran
        bool Defers(string t)
        {
            var readers = graph.Consumers(t).Where(c => !(c.OpType == OpTypes.Shape && c.Domain.Length == 0)).ToList();
            return readers.Count > 0 && !graph.IsGraphOutput(t)
                && readers.All(c => c.Outputs.Count > 0 && plan.SharedWith.TryGetValue(c.Outputs[0], out var source) && source == t);
        }
        bool Clipped(string t)
        {
            if (clipped.TryGetValue(t, out bool done)) return done;
            clipped[t] = false; // guards a cycle of shared parameters (none in a valid plan)
            if (plan.SharedWith.TryGetValue(t, out var source) && Clipped(source)) return clipped[t] = true;
            if (Defers(t)) return false;
            own.Add(t);
            return clipped[t] = true;
        }
        foreach (var t in plan.CalibratedTensors.Concat(plan.SharedWith.Keys)) Clipped(t);
        return own;
    }

    private static TensorData ZeroPoint(string name, ElementType type, long[] dims, int[] values) => type == ElementType.UInt8
        ? TensorData.Create<byte>(name, dims, values.Select(v => (byte)v).ToArray(), ElementType.UInt8)
        : TensorData.Create<sbyte>(name, dims, values.Select(v => (sbyte)v).ToArray(), ElementType.Int8);
}
