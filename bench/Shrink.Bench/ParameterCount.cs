using Shrink.Model;

namespace Shrink.Bench;

/// <summary>Counts a model's parameters: the elements of its float initializers of rank 1 or more (scalar constants excluded).</summary>
internal static class ParameterCount
{
    public static long Of(OnnxModel model)
    {
        long total = 0;
        foreach (var t in model.Graph.Initializers.Values)
            if (t.Type == ElementType.Float && t.Dims.Count > 0) total += t.ElementCount;
        return total;
    }
}
