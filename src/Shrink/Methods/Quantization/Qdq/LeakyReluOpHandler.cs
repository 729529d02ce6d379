using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// LeakyRelu after an int8 op: its output gets its own calibrated scale, so ORT fuses DQ → LeakyRelu → Q into
/// QLinearLeakyRelu (a 256-entry lookup table) instead of dequantizing, running it in float and requantizing. When its
/// input is still float (its producer stayed float), it stays float too and the int8 boundary comes after it.
/// </summary>
[Registered("leaky-relu", "LeakyRelu after an int8 op: own output scale, fused into QLinearLeakyRelu")]
public sealed class LeakyReluOpHandler : IQdqOpHandler
{
    /// <inheritdoc />
    public IReadOnlyList<string> ClaimedOpTypes => [OpTypes.LeakyRelu];

    /// <inheritdoc />
    public string? Mark(Node node, QdqMarkContext context)
    {
        string input = node.Inputs[0];
        if (!context.IsActivation(input)) return "the input is not a float activation";
        if (!context.Plan.IsMarked(input)) return "its input is float, so the int8 boundary comes after it";
        context.MarkOutput(node);
        return null;
    }
}
