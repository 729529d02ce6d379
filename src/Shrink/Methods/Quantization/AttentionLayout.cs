using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Passes;

namespace Shrink.Methods.Quantization;

/// <summary>
/// The attention rewrites static and dynamic int8 run: packed projections split after preparation
/// (<see cref="SplitAttentionProjections"/>; those a user excluded by name stay packed), and causal masks added as a bias
/// once quantized (<see cref="MaskedScoresAsBias"/>).
/// </summary>
internal static class AttentionLayout
{
    // The packed projections split, with what became of each block's score scale.
    private static IReadOnlyList<string> Split(OnnxModel model, StaticQuantizationOptions options)
    {
        var pass = new SplitAttentionProjections { Keep = options.ExcludeNodes };
        var result = pass.Apply(model);
        if (result.Changes == 0) return [];
        int folded = result.Details.Count(d => d.Contains(SplitAttentionProjections.ScaleFolded, StringComparison.Ordinal));
        int moved = result.Details.Count(d => d.Contains(SplitAttentionProjections.ScaleMoved, StringComparison.Ordinal));
        var scale = new List<string>();
        if (folded > 0) scale.Add($"{SplitAttentionProjections.ScaleFolded} in {folded}");
        if (moved > 0) scale.Add($"{SplitAttentionProjections.ScaleMoved} in {moved}");
        if (folded + moved < result.Changes) scale.Add($"score scale left on the scores in {result.Changes - folded - moved}");
        return [$"{pass.Name}: {result.Changes} attention block(s): packed q/k/v projections split; {string.Join(", ", scale)}"];
    }

    /// <summary>
    /// Splits packed projections unless <see cref="StaticQuantizationOptions.SplitAttention"/> is off
    /// (<see cref="SplitAttentionProjections"/>); returns the preprocessing lines.
    /// </summary>
    public static IReadOnlyList<string> Apply(OnnxModel model, StaticQuantizationOptions options) =>
        options.SplitAttention ? Split(model, options) : [];

    /// <summary>
    /// Adds causal masks to the scores as a bias (<see cref="MaskedScoresAsBias"/>) unless
    /// <see cref="StaticQuantizationOptions.SplitAttention"/> is off. Run on the quantized model, after calibration: a
    /// bias holding −∞ is not an activation to calibrate. Returns the note for the report.
    /// </summary>
    public static IReadOnlyList<string> MaskAsBias(OnnxModel model, StaticQuantizationOptions options)
    {
        if (!options.SplitAttention) return [];
        var pass = new MaskedScoresAsBias();
        var result = pass.Apply(model);
        return result.Changes == 0 ? [] : [$"{pass.Name}: {result.Changes} causal mask(s) added to the scores as a bias instead of Where over them"];
    }
}
