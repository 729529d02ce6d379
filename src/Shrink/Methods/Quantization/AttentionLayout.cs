using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Passes;

namespace Shrink.Methods.Quantization;

/// <summary>
/// The attention rewrite static and dynamic int8 run after preparation (<see cref="SplitAttentionProjections"/>):
/// packed projections a user excluded by name stay packed.
/// </summary>
internal static class AttentionLayout
{
    /// <summary>Applies the rewrite unless <see cref="StaticQuantizationOptions.SplitAttention"/> is off; returns the preprocessing line.</summary>
    public static IReadOnlyList<string> Apply(OnnxModel model, StaticQuantizationOptions options)
    {
        if (!options.SplitAttention) return [];
        var pass = new SplitAttentionProjections { Keep = options.ExcludeNodes };
        var result = pass.Apply(model);
        return result.Changes == 0 ? [] : [$"{pass.Name}: {result.Changes} attention block(s): packed q/k/v projections split, score scale moved onto the queries"];
    }
}
