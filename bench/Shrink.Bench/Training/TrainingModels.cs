using Shrink.Model;
using Shrink.Training.Autodiff;

namespace Shrink.Bench.Training;

/// <summary>The reference models the training benchmark differentiates, with the loss each is trained with.</summary>
internal static class TrainingModels
{
    /// <summary>A reference model: its name, the batch the gradient check uses, and what that batch is.</summary>
    public sealed record Spec(string Name, int ParityBatch, string BatchText);

    public static readonly Spec[] All =
    [
        new("cnn_small", 64, "first 64 Fashion-MNIST test images, their labels, cross-entropy"),
        new("resnet8", 64, "first 64 Fashion-MNIST test images, their labels, cross-entropy"),
        new("vit_tiny", 64, "first 64 Fashion-MNIST test images, their labels, cross-entropy"),
        new("tiny_gpt", 8, "first 8 `tiny_gpt.val.npy` windows (8×128 tokens), next-token cross-entropy"),
        new("tiny_mamba", 2, "first 2 `tiny_gpt.val.npy` windows (2×128 tokens), next-token cross-entropy"),
        new("tiny_ddpm", 16, "first 16 test images noised at t = 0…999 (linspace), MSE of eps to the noise"),
    ];

    /// <summary>The loss of <paramref name="name"/>: MSE of tiny_ddpm's eps to the noise, else cross-entropy of the first output.</summary>
    public static LossSpec Loss(string name) => name == "tiny_ddpm" ? LossSpec.MeanSquaredError("eps", "target") : LossSpec.CrossEntropy();

    /// <summary>Every float initializer of two or more elements (what PyTorch trains; scalars are the graph's constants).</summary>
    public static string[] Parameters(OnnxModel model) =>
        [.. model.Graph.Initializers.Values.Where(t => t.Type == ElementType.Float && t.ElementCount > 1).Select(t => t.Name).Order(StringComparer.Ordinal)];
}
