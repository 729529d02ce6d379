using Shrink.Model;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>A weight input to quantize per channel (or per tensor when <see cref="Axis"/> is null).</summary>
/// <param name="Node">The consuming node.</param>
/// <param name="InputIndex">The weight's input index.</param>
/// <param name="Axis">The output-channel axis, or null for per-tensor.</param>
public sealed record WeightMark(Node Node, int InputIndex, int? Axis);

/// <summary>A bias input to store as int32 with scale s_in·s_w.</summary>
/// <param name="Node">The consuming node.</param>
/// <param name="BiasIndex">The bias input index.</param>
/// <param name="ActivationInput">The activation input whose scale multiplies the weight scale.</param>
/// <param name="Weight">The weight mark whose scales are used.</param>
public sealed record BiasMark(Node Node, int BiasIndex, string ActivationInput, WeightMark Weight);

/// <summary>A Relu/Clip removed because the producer's output quantization (zero point at the range's bottom) clips the same way.</summary>
/// <param name="Activation">The removed node.</param>
/// <param name="Producer">The node whose output it read.</param>
public sealed record FoldedActivation(Node Activation, Node Producer);

/// <summary>
/// Relu → MaxPool after a float conv, to be rewritten as MaxPool → Max(x, 0) (equal, since Relu is monotonic). ORT fuses
/// a Relu into the next QuantizeLinear and then moves that Q above the MaxPool, leaving a slow NCHW uint8 MaxPool; a
/// Max is not fused, so the pool stays float in ORT's fast blocked layout and the int8 boundary stays after it.
/// </summary>
/// <param name="Relu">The Relu to move.</param>
/// <param name="Pool">The MaxPool it feeds.</param>
public sealed record ReluPoolSwap(Node Relu, Node Pool);

/// <summary>A node left in float, with the reason shown in the report.</summary>
/// <param name="Node">The node.</param>
/// <param name="Reason">Why it stays in float.</param>
public sealed record FloatNode(Node Node, string Reason);

/// <summary>
/// The decisions of QDQ marking, before any number is known: which activation tensors get their own calibrated
/// parameters, which share their input's, which weights and biases are quantized, which activations fold away.
/// Computed from the graph only; <see cref="QdqInserter"/> applies it with the calibrated ranges.
/// </summary>
public sealed class QdqPlan
{
    /// <summary>Tensors that get their own calibrated parameters, in marking order.</summary>
    public List<string> CalibratedTensors { get; } = [];

    /// <summary>Tensors whose parameters are those of another tensor (value-preserving ops: MaxPool, Reshape...).</summary>
    public Dictionary<string, string> SharedWith { get; } = new(StringComparer.Ordinal);

    /// <summary>Weights to quantize.</summary>
    public List<WeightMark> Weights { get; } = [];

    /// <summary>Biases to quantize.</summary>
    public List<BiasMark> Biases { get; } = [];

    /// <summary>Relu/Clip nodes folded into their producer's output range.</summary>
    public List<FoldedActivation> Folded { get; } = [];

    /// <summary>Relu → MaxPool pairs after float convs to reorder (see <see cref="ReluPoolSwap"/>).</summary>
    public List<ReluPoolSwap> ReluPoolSwaps { get; } = [];

    /// <summary>Nodes whose computation becomes integer (QDQ around them).</summary>
    public List<Node> Quantized { get; } = [];

    /// <summary>Nodes left in float and why.</summary>
    public List<FloatNode> LeftInFloat { get; } = [];

    // The members of CalibratedTensors, for lookups that do not scan the list (it grows with the graph).
    private readonly HashSet<string> _calibrated = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="tensor"/> is quantized (own or shared parameters).</summary>
    public bool IsMarked(string tensor)
    {
        if (SharedWith.ContainsKey(tensor)) return true;
        if (_calibrated.Count != CalibratedTensors.Count)
        {
            // The list was edited directly.
            _calibrated.Clear();
            _calibrated.UnionWith(CalibratedTensors);
        }
        return _calibrated.Contains(tensor);
    }

    /// <summary>Marks a tensor for its own calibrated parameters (once).</summary>
    public void MarkCalibrated(string tensor)
    {
        if (IsMarked(tensor)) return;
        CalibratedTensors.Add(tensor);
        _calibrated.Add(tensor);
    }

    /// <summary>The tensor whose calibrated parameters <paramref name="tensor"/> uses (following shares).</summary>
    public string ParamsSource(string tensor)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (SharedWith.TryGetValue(tensor, out var next) && seen.Add(tensor)) tensor = next;
        return tensor;
    }
}
