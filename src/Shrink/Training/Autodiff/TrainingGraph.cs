using Shrink.Model;

namespace Shrink.Training.Autodiff;

/// <summary>
/// A model's training graph, built by <see cref="Gradients.Build"/>: an ONNX model whose inputs are the original model's
/// inputs, then each chosen parameter (an initializer turned into a graph input of the same name), then the loss's extra
/// inputs (labels, teacher logits, targets), and whose outputs are the loss (a float scalar) and then
/// <c>grad.&lt;parameter&gt;</c> for each parameter, in order. It runs in ONNX Runtime like any model.
/// </summary>
public sealed record TrainingGraph
{
    /// <summary>The training graph.</summary>
    public required OnnxModel Model { get; init; }

    /// <summary>The original model's inputs, in order.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>The parameters (former initializers, now graph inputs), in the order asked for.</summary>
    public required IReadOnlyList<string> Parameters { get; init; }

    /// <summary>The loss's extra inputs (e.g. <c>labels</c>), with their declared types.</summary>
    public required IReadOnlyList<ValueInfo> LossInputs { get; init; }

    /// <summary>The loss output's name.</summary>
    public required string Loss { get; init; }

    /// <summary>The gradient output of each parameter (<c>grad.&lt;parameter&gt;</c>), in the order of <see cref="Parameters"/>.</summary>
    public required IReadOnlyList<string> GradientOutputs { get; init; }

    /// <summary>The parameters that no differentiable path connects to the loss (their gradient outputs are zeros).</summary>
    public IReadOnlyList<string> WithoutGradient { get; init; } = [];

    /// <summary>The forward values the backward pass computes again instead of keeping (see <c>Gradients.Build</c>'s recompute).</summary>
    public IReadOnlyList<string> Recomputed { get; init; } = [];

    /// <summary>
    /// The forward values (outputs of model or loss nodes other than Constant nodes) that the backward pass reads, in
    /// forward order: the activations a training step keeps alive from the forward pass until the backward pass has read
    /// them (what <c>ActivationMemory</c> sizes). Recomputed values are not among them; their copies are backward values.
    /// </summary>
    public IReadOnlyList<string> KeptActivations { get; init; } = [];

    /// <summary>The parameters' values in the source model (what to feed before the first update).</summary>
    public required IReadOnlyDictionary<string, TensorData> InitialValues { get; init; }

    /// <summary>The name of the gradient output of <paramref name="parameter"/>.</summary>
    public static string GradientName(string parameter) => "grad." + parameter;
}
