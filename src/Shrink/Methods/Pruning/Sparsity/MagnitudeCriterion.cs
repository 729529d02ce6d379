using Shrink.Registration;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// |w|, as PyTorch's L1 pruning. Data-free. Across layers it assumes the weights share one scale, which holds for
/// conv weights followed by BatchNormalization but not once BatchNormalization is folded into them (as in exported
/// ONNX models): then the global ranking strips whole layers and <see cref="LampCriterion"/> (no data) or <see cref="OutputEnergyCriterion"/> (data) does far better.
/// </summary>
[Registered("magnitude", "raw |w|, as PyTorch")]
public sealed class MagnitudeCriterion : ISparsityCriterion
{
    /// <inheritdoc />
    public string Name => "magnitude";

    /// <inheritdoc />
    public bool NeedsData => false;

    /// <inheritdoc />
    public float[] Score(float[] weight, int rows, int cols, ReadOnlySpan<float> inputEnergy)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var s = new float[weight.Length];
        for (int i = 0; i < s.Length; i++) s[i] = Math.Abs(weight[i]);
        return s;
    }
}
