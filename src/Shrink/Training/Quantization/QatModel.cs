using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;

namespace Shrink.Training.Quantization;

/// <summary>
/// A QDQ model rewritten for quantization-aware training (<see cref="QatRewriter"/>): the float training model, what to
/// train and how, and <see cref="Export"/>, which writes trained values back into the PTQ model's QDQ structure.
/// </summary>
/// <remarks>
/// <see cref="FineTuning.Run"/> trains it with <see cref="FineTuneOptions.StopGradient"/> = <see cref="QatTrainingModel.StopGradient"/>
/// (which makes each fake quantizer's Round a straight-through estimator) and <see cref="FineTuneOptions.Hints"/> =
/// <see cref="QatTrainingModel.Hints"/>; any other trainer builds the gradients with <c>Gradients.Build(Model, loss, Parameters,
/// StopGradient)</c>, multiplies each parameter's learning rate by its <see cref="ParameterHint.LearningRateScale"/> and
/// raises it to its <see cref="ParameterHint.Minimum"/> after each update. The model with the trained initializers then
/// goes to <see cref="Export"/>.
/// </remarks>
public sealed class QatModel : QatTrainingModel
{
    private readonly IReadOnlyList<WeightLink> _weights;
    private readonly IReadOnlyList<BiasLink> _biases;
    private readonly IReadOnlyList<string> _activationScales;

    internal QatModel(OnnxModel ptq, OnnxModel model, IReadOnlyList<(string Name, ParameterRole Role, ParameterHint Hint)> parameters, IReadOnlyList<string> stopGradient,
        IReadOnlyList<FakeQuantizer> quantizers, IReadOnlyList<WeightLink> weights, IReadOnlyList<BiasLink> biases, IReadOnlyList<string> activationScales)
        : base(ptq, model, parameters, stopGradient)
    {
        Quantizers = quantizers;
        _weights = weights;
        _biases = biases;
        _activationScales = activationScales;
    }

    /// <summary>The fake quantizers, weights first.</summary>
    public IReadOnlyList<FakeQuantizer> Quantizers { get; }

    /// <summary>
    /// The PTQ model with the values of <paramref name="trained"/> (a copy of <see cref="Model"/> with trained
    /// initializers): weight codes clip(round(W / s) + z, QMin, QMax) with the learned scales (ONNX rounding, half to
    /// even), the learned activation scales in their Q/DQ pairs, int32 biases round(b / (s_in · s_w)) with scales
    /// s_in · s_w, and any other float initializer both models have (a layer left in float) copied. The structure, node
    /// names and zero points are the PTQ model's, so ONNX Runtime fuses it as it fused the PTQ output. Refuses
    /// (ShrinkException) a trained model that lacks a parameter, has it with other dims, or holds a non-finite value or a
    /// scale that is not positive.
    /// </summary>
    public OnnxModel Export(OnnxModel trained)
    {
        ArgumentNullException.ThrowIfNull(trained);
        var result = Ptq.Clone();
        var graph = result.Graph;
        var handled = new HashSet<string>(StringComparer.Ordinal);
        float[] Read(string name, bool positive)
        {
            var t = trained.Graph.FindInitializer(name) ?? throw new ShrinkException($"{trained.Name}: the trained model has no initializer '{name}'; export needs every QAT parameter.");
            var expected = Model.Graph.FindInitializer(name)!;
            if (t.Type != ElementType.Float || !t.Dims.SequenceEqual(expected.Dims))
                throw new ShrinkException($"{trained.Name}: initializer '{name}' is {t.Type.OnnxName()} [{string.Join(",", t.Dims)}]; the QAT model has float [{string.Join(",", expected.Dims)}].");
            var values = t.ToFloatArray();
            foreach (float v in values)
            {
                if (!float.IsFinite(v)) throw new ShrinkException($"{trained.Name}: '{name}' holds {v}; training diverged.");
                if (positive && v <= 0) throw new ShrinkException($"{trained.Name}: scale '{name}' holds {v}; scales must stay positive (apply the parameter's Minimum).");
            }
            handled.Add(name);
            return values;
        }

        var scales = new Dictionary<string, float[]>(StringComparer.Ordinal);
        float[] Scale(string name) => scales.TryGetValue(name, out var s) ? s : scales[name] = Read(name, positive: true);

        foreach (var w in _weights)
        {
            var values = Read(w.Weight, positive: false);
            var s = Scale(w.Scale);
            var codes = graph.FindInitializer(w.Codes)!;
            var (outer, channels, inner) = w.Axis is int a ? QuantMath.Split(codes.Dims, a) : (1L, 1, values.LongLength);
            var q = new int[values.Length];
            for (long o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    float scale = s[c];
                    for (long i = (o * channels + c) * inner, end = i + inner; i < end; i++)
                        q[i] = QuantMath.Quantize(values[i], scale, w.ZeroPoint, w.QMin, w.QMax);
                }
            graph.SetInitializer(codes.Type == ElementType.UInt8
                ? TensorData.Create<byte>(w.Codes, codes.Dims.ToArray(), q.Select(v => (byte)v).ToArray(), ElementType.UInt8)
                : TensorData.Create<sbyte>(w.Codes, codes.Dims.ToArray(), q.Select(v => (sbyte)v).ToArray(), ElementType.Int8));
        }
        foreach (var name in _weights.Select(w => w.Scale).Concat(_activationScales).Distinct())
        {
            var old = graph.FindInitializer(name)!;
            graph.SetInitializer(TensorData.FromFloats(name, old.Dims.ToArray(), Scale(name)));
        }
        foreach (var b in _biases)
        {
            var values = Read(b.Bias, positive: false);
            float input = Scale(b.InputScale)[0];
            var weight = Scale(b.WeightScale);
            var q = QuantMath.QuantizeBias(values, input, weight);
            var biasScales = Enumerable.Range(0, q.Length).Select(c => input * weight[weight.Length == 1 ? 0 : c]).ToArray();
            var codes = graph.FindInitializer(b.Codes)!;
            var oldScale = graph.FindInitializer(b.Scale)!;
            if (oldScale.ElementCount != q.Length)
                throw new ShrinkException($"{Ptq.Name}: bias scale '{b.Scale}' has {oldScale.ElementCount} values for {q.Length} biases; export writes one per bias.");
            graph.SetInitializer(TensorData.Create<int>(b.Codes, codes.Dims.ToArray(), q, ElementType.Int32));
            graph.SetInitializer(TensorData.FromFloats(b.Scale, oldScale.Dims.ToArray(), biasScales));
        }
        // Initializers left in float (layers not quantized) that the trainer may have trained.
        foreach (var (name, tensor) in graph.Initializers.ToList())
        {
            if (handled.Contains(name) || tensor.Type != ElementType.Float) continue;
            if (trained.Graph.FindInitializer(name) is { Type: ElementType.Float } t && t.Dims.SequenceEqual(tensor.Dims)
                && Model.Graph.FindInitializer(name) is not null)
                graph.SetInitializer(t.Clone());
        }
        return result;
    }
}
