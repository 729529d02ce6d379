using Shrink.Methods.Pruning.Dependency;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// <c>bn-scale</c>: |γ| of the unfused BatchNormalizations over the group's channels (Network Slimming). Models whose BN
/// the exporter folded into the convolutions have no γ left: the criterion refuses them rather than guessing.
/// </summary>
[Registered("bn-scale", "|γ| of the unfused BatchNormalization (Network Slimming)", Order = 2)]
public sealed class BatchNormScaleImportance : IChannelImportance
{
    /// <inheritdoc />
    public string Name => "bn-scale";

    /// <inheritdoc />
    public bool NeedsData => false;

    /// <inheritdoc />
    public double[] Score(ChannelGroup group, ImportanceContext context)
    {
        if (group.BatchNorms.Count == 0)
        {
            bool anyBn = context.Graph.Nodes.Any(n => n.OpType == OpTypes.BatchNormalization);
            throw new ShrinkException(anyBn
                ? $"bn-scale: channel group {group.Name} has no BatchNormalization after it; use l1, l2, activation or reconstruction."
                : $"bn-scale: the model has no BatchNormalization (it was folded into the convolutions, as PyTorch's exporter does), so there is no γ to rank by; use l1, l2, activation or reconstruction.");
        }
        var scores = new double[group.Size];
        foreach (var bn in group.BatchNorms)
        {
            var gamma = context.Weight(bn.Scale);
            for (int c = 0; c < scores.Length; c++) scores[c] += Math.Abs(gamma[bn.Offset + c]);
        }
        return scores;
    }
}
