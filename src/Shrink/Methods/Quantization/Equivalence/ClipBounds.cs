using Shrink.Model;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>A Clip's constant bounds (opset ≥ 11 inputs, or the older min/max attributes); infinite where absent.</summary>
/// <param name="Min">Lower bound.</param>
/// <param name="Max">Upper bound.</param>
public sealed record ClipBounds(float Min, float Max)
{
    /// <summary>The bounds of <paramref name="clip"/>, or null when a bound is computed (not an initializer).</summary>
    public static ClipBounds? Read(ModelGraph graph, Node clip)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(clip);
        if (clip.HasAttribute("min") || clip.HasAttribute("max"))
            return new ClipBounds(clip.GetFloat("min", float.NegativeInfinity), clip.GetFloat("max", float.PositiveInfinity));
        float? Bound(int index, float fallback)
        {
            if (clip.Inputs.Count <= index || clip.Inputs[index].Length == 0) return fallback;
            var t = graph.FindInitializer(clip.Inputs[index]);
            return t is null || t.ElementCount != 1 ? null : t.ToFloatArray()[0];
        }
        return Bound(1, float.NegativeInfinity) is float lo && Bound(2, float.PositiveInfinity) is float hi ? new ClipBounds(lo, hi) : null;
    }
}
