namespace Shrink.Evaluation.Tasks;

/// <summary>The task an evaluation runs, and why.</summary>
/// <param name="Name">The registered task name.</param>
/// <param name="Detection">How it was detected from the model, in words; null when it was given.</param>
public sealed record TaskChoice(string Name, string? Detection);
