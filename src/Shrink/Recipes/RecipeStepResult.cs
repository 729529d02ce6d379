using Shrink.Reports;

namespace Shrink.Recipes;

/// <summary>What one step produced: its model and, given the model sizes before and after, its report.</summary>
public sealed record RecipeStepResult(Model.OnnxModel Model, Func<long, long, Report> Report);
