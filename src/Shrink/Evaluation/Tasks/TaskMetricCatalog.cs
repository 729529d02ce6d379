namespace Shrink.Evaluation.Tasks;

/// <summary>
/// The task metrics a model can be tuned against (<c>shrink tune</c>, <c>shrink pareto</c>), known before anything
/// runs: the task that measures each, and its direction. Metrics that are zero for the float model by definition
/// (<c>mse_vs_reference</c>, <c>perplexity_increase</c>) are left out: a relative limit on them means nothing.
/// </summary>
public static class TaskMetricCatalog
{
    /// <summary>Every tunable task metric, in the order the tasks are registered.</summary>
    public static IReadOnlyList<TaskMetricInfo> All { get; } =
    [
        new("top1_accuracy", "classification", LowerIsBetter: false, ComparesWithReference: false),
        new("top5_accuracy", "classification", LowerIsBetter: false, ComparesWithReference: false),
        new("perplexity", "lm", LowerIsBetter: true, ComparesWithReference: false),
        new("nll", "lm", LowerIsBetter: true, ComparesWithReference: false),
        new("next_token_accuracy", "lm", LowerIsBetter: false, ComparesWithReference: false),
        new("embedding_cosine_mean", "embedding", LowerIsBetter: false, ComparesWithReference: true),
        new("embedding_cosine_min", "embedding", LowerIsBetter: false, ComparesWithReference: true),
        new("neighbour_agreement", "embedding", LowerIsBetter: false, ComparesWithReference: true),
        new("mse", "regression", LowerIsBetter: true, ComparesWithReference: false),
        new("mae", "regression", LowerIsBetter: true, ComparesWithReference: false),
    ];

    /// <summary>The metric named <paramref name="name"/>, or null.</summary>
    public static TaskMetricInfo? Find(string name) => All.FirstOrDefault(m => m.Name == name);
}
