using Shrink.Model;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// A rewrite that keeps the float function (to rounding) while making the model easier to quantize: smoothing,
/// rotation, cross-layer equalization, bias correction. It runs on the prepared copy, before the quantizer plans, and
/// may measure on the calibration data through <see cref="EquivalenceContext"/> (statistics never mutate the graph: it
/// measures, decides, then edits). Each transform is one <c>[Registered]</c> class; <see cref="EquivalenceTransforms"/>
/// runs the ones the options ask for in a fixed order.
/// </summary>
public interface IEquivalenceTransform
{
    /// <summary>Whether it needs calibration data in <paramref name="options"/>' setting (bias correction "analytic" does not).</summary>
    bool NeedsData(EquivalenceOptions options);

    /// <summary>
    /// Rewrites <paramref name="model"/> in place (the caller's prepared copy, never the user's model) and says what it
    /// did, layer by layer, including the layers where it did nothing and why.
    /// </summary>
    /// <exception cref="ShrinkException">A rewrite the options ask for cannot be applied exactly; the message names the node.</exception>
    EquivalenceResult Apply(OnnxModel model, EquivalenceContext context);
}
