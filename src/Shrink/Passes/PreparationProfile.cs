using Shrink.Model;
using Shrink.Validation;

namespace Shrink.Passes;

/// <summary>
/// The graph passes a compression method runs on its own copy of the model before any work starts, in order. Each
/// method picks one profile; the passes are created afresh for every model.
/// </summary>
public sealed class PreparationProfile
{
    private readonly Func<IGraphPass>[] _passes;

    private PreparationProfile(string name, params Func<IGraphPass>[] passes)
    {
        Name = name;
        _passes = passes;
    }

    /// <summary>
    /// Quantization (static, dynamic, weight-only, mixed precision), unstructured sparsity and low rank: promote constants,
    /// fold constant Casts/Transposes of initializers, upgrade to opset 13, fold BatchNormalization into the layer before it.
    /// </summary>
    public static PreparationProfile Compression { get; } = new("compression",
        () => new PromoteConstantsToInitializers(), () => new FoldConstants(), () => new UpgradeOpset(13), () => new FoldBatchNormalization());

    /// <summary>
    /// Channel pruning: promote constants and upgrade to opset 13; BatchNormalization stays, it is pruned with the layer
    /// whose channels it normalizes.
    /// </summary>
    public static PreparationProfile ChannelPruning { get; } = new("channel-pruning",
        () => new PromoteConstantsToInitializers(), () => new UpgradeOpset(13));

    /// <summary>
    /// Training (fine-tuning a float model): promote Constant-node weights to initializers, fold constant Casts/Transposes
    /// of initializers (fp16 weights become float ones that can be trained), upgrade to opset 13 (gradients need it).
    /// BatchNormalization stays as it is.
    /// </summary>
    public static PreparationProfile Training { get; } = new("training",
        () => new PromoteConstantsToInitializers(), () => new FoldConstants(), () => new UpgradeOpset(13));

    /// <summary>A short name for reports.</summary>
    public string Name { get; }

    /// <summary>The passes' names, in the order they run.</summary>
    public IReadOnlyList<string> PassNames => _passes.Select(p => p().Name).ToList();

    /// <summary>
    /// The start of every method that rewrites weights: refuses an already-quantized <paramref name="model"/> (the refusal
    /// names <paramref name="action"/>), runs the passes on a copy and checks that the copy's float weights are finite.
    /// <paramref name="model"/> is not modified.
    /// </summary>
    /// <returns>The prepared copy and one line per pass that changed something.</returns>
    /// <exception cref="ShrinkException">The model is already quantized or holds NaN/Inf weights; messages start with <paramref name="source"/>.</exception>
    public (OnnxModel Model, IReadOnlyList<string> Changes) PrepareWeights(OnnxModel model, string source, string action = "quantize")
    {
        AlreadyQuantized.Refuse(model, source, action);
        var prepared = model.Clone();
        var changes = Apply(prepared);
        FiniteWeights.Ensure(prepared, source);
        return (prepared, changes);
    }

    /// <summary>Runs the passes on <paramref name="model"/> in place; returns one line per pass that changed something.</summary>
    public IReadOnlyList<string> Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var lines = new List<string>();
        foreach (var create in _passes)
        {
            var pass = create();
            var result = pass.Apply(model);
            if (result.Changes > 0) lines.Add($"{pass.Name}: {result.Changes} change(s)");
        }
        return lines;
    }
}
