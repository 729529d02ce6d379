using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Runtime;

/// <summary>
/// Softmaxes whose input masks entries with a huge negative constant (a causal or padding mask as Where(mask, −inf, x),
/// x + mask·(−1e4), or x + Where(mask, −inf, 0) as int8 models write a causal mask): their masked outputs are denormal
/// floats, which Intel x86 cores compute with a microcode assist each (AMD Zen measured no cost), so ONNX Runtime runs
/// them several times faster there with denormals flushed to zero (<see cref="RuntimeOptions.FlushDenormals"/>).
/// Timing commands name them so a user does not read the slow path as the model's speed.
/// </summary>
public static class MaskedSoftmax
{
    /// <summary>A fill at or below this is a mask: exp(fill − max) underflows below float's normal range.</summary>
    private const float MaskFill = -1000f;

    /// <summary>
    /// How many Softmax nodes of the main graph read a Where or Add with a constant operand at or below −1000, or an Add
    /// of such a Where (the mask as a bias, <c>MaskedScoresAsBias</c>).
    /// </summary>
    public static int Count(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        int count = 0;
        foreach (var softmax in graph.Nodes.Where(n => n.OpType == OpTypes.Softmax && OpDomains.IsDefault(n.Domain)))
        {
            if (graph.Producer(softmax.Inputs[0]) is not { } masking || !OpDomains.IsDefault(masking.Domain)) continue;
            if (masking.OpType is not (OpTypes.Where or OpTypes.Add)) continue;
            if (Masks(graph, masking) || (masking.OpType == OpTypes.Add && masking.Inputs.Any(i => graph.Producer(i) is { OpType: OpTypes.Where } w && OpDomains.IsDefault(w.Domain) && Masks(graph, w))))
                count++;
        }
        return count;
    }

    private static bool Masks(ModelGraph graph, Node masking) =>
        masking.Inputs.Any(i => graph.FindConstant(i) is { Type: ElementType.Float } t && HoldsMaskFill(t.AsSpan<float>()));

    private static bool HoldsMaskFill(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (v <= MaskFill) return true;
        return false;
    }
}
