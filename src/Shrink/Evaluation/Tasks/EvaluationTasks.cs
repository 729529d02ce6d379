using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Evaluation.Tasks;

/// <summary>The registered evaluation tasks, and the choice of one from the model's interface when none is given.</summary>
public static class EvaluationTasks
{
    /// <summary>Every <see cref="EvaluationTask"/> in Shrink, by name.</summary>
    public static Registry<EvaluationTask> Registry { get; } = Registry<EvaluationTask>.Discover("evaluation task");

    /// <summary>A new instance of the task named <paramref name="name"/>; an unknown name throws <see cref="ShrinkException"/> listing the valid ones.</summary>
    public static EvaluationTask Create(string name) => Registry.Create(name);

    /// <summary>
    /// The task where the model makes it obvious: an integer [batch,seq] input and a first output [batch,seq,vocab]
    /// named like logits → <c>lm</c>; an integer input and a first output named like an embedding or a hidden state →
    /// <c>embedding</c>; anything else → <c>classification</c> (top-1/top-5 when the data has labels, as always).
    /// </summary>
    public static TaskChoice Detect(IReadOnlyList<ModelInputSpec> inputs, IReadOnlyList<ValueInfo> outputs)
    {
        var tokens = inputs.FirstOrDefault(i => i.Type is ElementType.Int64 or ElementType.Int32 && i.Dims.Count == 2 && !i.IsScalar);
        var first = outputs.Count > 0 ? outputs[0] : null;
        if (tokens is null || first?.Shape is null) return new TaskChoice("classification", null);
        string name = first.Name.ToLowerInvariant();
        string why = $"output '{first.Name}' {first.ShapeText} from integer input '{tokens.Name}' {tokens.ShapeText}";
        if (first.Shape.Count == 3 && name.Contains("logit", StringComparison.Ordinal))
            return new TaskChoice("lm", why);
        if (first.Shape.Count is 2 or 3 && (name.Contains("embed", StringComparison.Ordinal) || name.Contains("hidden", StringComparison.Ordinal)
            || name.Contains("pool", StringComparison.Ordinal) || name.Contains("sentence", StringComparison.Ordinal)))
            return new TaskChoice("embedding", why);
        return new TaskChoice("classification", null);
    }
}
