using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Autodiff;

/// <summary>
/// A training loss: a subgraph appended to the model that reduces one of its tensors (and extra inputs such as labels)
/// to a float scalar. <see cref="Gradients.Build"/> differentiates it like the rest of the graph, seeded with 1.
/// </summary>
public abstract record LossSpec
{
    /// <summary>
    /// Appends the loss to <paramref name="model"/>'s graph through <paramref name="emitter"/>, declaring the extra
    /// inputs it reads as graph inputs; returns the loss scalar's name and those inputs. Refuses (ShrinkException) when
    /// a tensor it names is not in the model or an extra input's name is taken.
    /// </summary>
    public abstract LossGraph Append(OnnxModel model, GraphEmitter emitter);

    /// <summary>Cross-entropy of integer labels (an int64 input) against logits, averaged over every position (see <see cref="CrossEntropyLoss"/>).</summary>
    public static LossSpec CrossEntropy(string labelsInput = "labels", string? logits = null) => new CrossEntropyLoss(labelsInput, logits);

    /// <summary>Mean squared error of a tensor to a target input of the same shape (see <see cref="MeanSquaredErrorLoss"/>).</summary>
    public static LossSpec MeanSquaredError(string tensor, string targetInput = "target") => new MeanSquaredErrorLoss(tensor, targetInput);

    /// <summary>KL divergence from teacher logits given as an input, at temperature T (see <see cref="KlDivergenceLoss"/>).</summary>
    public static LossSpec KlDivergence(double temperature = 1, string teacherInput = "teacher_logits", string? logits = null) =>
        new KlDivergenceLoss(temperature, teacherInput, logits);

    /// <summary>A weighted sum of losses (see <see cref="CombinedLoss"/>).</summary>
    public static LossSpec Sum(params (LossSpec Loss, double Weight)[] terms) => new CombinedLoss(terms);

    /// <summary>The named tensor, or the model's first output when null; refuses names the graph does not have.</summary>
    protected static string ResolveTensor(OnnxModel model, string? tensor, string loss)
    {
        var graph = model.Graph;
        if (tensor is null)
        {
            if (graph.Outputs.Count == 0) throw new ShrinkException($"{model.Name}: the model has no outputs for the {loss} loss.");
            return graph.Outputs[0].Name;
        }
        bool known = graph.Producer(tensor) is not null || graph.Inputs.Any(i => i.Name == tensor) || graph.FindInitializer(tensor) is not null;
        if (!known) throw new ShrinkException($"{model.Name}: the {loss} loss names tensor '{tensor}', which the model does not have.");
        return tensor;
    }

    /// <summary>Declares an extra input; refuses a name the graph already uses.</summary>
    protected static ValueInfo DeclareInput(OnnxModel model, ValueInfo input, string loss)
    {
        var graph = model.Graph;
        bool taken = graph.DeclaredValueNames.Contains(input.Name) || graph.Producer(input.Name) is not null || graph.FindInitializer(input.Name) is not null;
        if (taken) throw new ShrinkException($"{model.Name}: the {loss} loss's input '{input.Name}' is already a name in the model; choose another.");
        graph.AddGraphInput(input);
        return input;
    }
}
