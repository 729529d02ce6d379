using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Validation;

/// <summary>
/// The last check before a method returns its model: the interface is the input model's and ONNX Runtime loads it. A
/// failure here is a bug in Shrink, not in the input.
/// </summary>
public static class WrittenModelCheck
{
    /// <summary>
    /// Quantization, unstructured sparsity and low rank: the same input and output names, in order, and a model ONNX
    /// Runtime loads (its load error, if any, is thrown as is).
    /// </summary>
    /// <exception cref="InvalidOperationException">The interface changed.</exception>
    /// <exception cref="ShrinkException">ONNX Runtime cannot load the model.</exception>
    public static void Verify(OnnxModel original, OnnxModel written, string source)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(written);
        var before = original.Graph.Inputs.Select(i => i.Name).Concat(["→"]).Concat(original.Graph.Outputs.Select(o => o.Name));
        var after = written.Graph.Inputs.Select(i => i.Name).Concat(["→"]).Concat(written.Graph.Outputs.Select(o => o.Name));
        if (!before.SequenceEqual(after))
            throw new InvalidOperationException($"{source}: quantization changed the model's interface; this is a bug.");
        using var session = ModelSession.Open(written, new RuntimeOptions(), source + " (quantized)");
    }

    /// <summary>
    /// Channel pruning: the same inputs and outputs with the same types and shapes (<paramref name="resized"/>: a decoder's
    /// KV cache, whose head axis lost heads, needs only the same type and rank), and a model ONNX Runtime loads.
    /// </summary>
    /// <exception cref="InvalidOperationException">The interface changed or ONNX Runtime cannot load the model.</exception>
    public static void VerifyPruned(OnnxModel original, OnnxModel pruned, IReadOnlySet<string>? resized = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(pruned);
        string Describe(OnnxModel m) => string.Join(";", m.Graph.Inputs.Concat(m.Graph.Outputs)
            .Select(v => $"{v.Name}:{v.Type}{(resized?.Contains(v.Name) == true ? $"[rank {v.Shape?.Count}]" : v.ShapeText)}"));
        if (Describe(original) != Describe(pruned))
            throw new InvalidOperationException($"{original.Name}: channel pruning changed the model's interface; this is a bug.");
        try
        {
            using var session = ModelSession.Open(pruned, new RuntimeOptions(), original.Name + " (pruned)");
        }
        catch (ShrinkException e)
        {
            throw new InvalidOperationException($"{original.Name}: ONNX Runtime cannot load the pruned model; this is a bug. {e.Message}", e);
        }
    }
}
