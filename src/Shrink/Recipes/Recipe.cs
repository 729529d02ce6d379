namespace Shrink.Recipes;

/// <summary>
/// A recipe: the input model, the steps to apply in order (each a registered method with its options record, the same
/// records the CLI commands build from their flags), the calibration data, and the outputs. <see cref="RecipeJson"/>
/// reads and writes it; <c>shrink run RECIPE.json</c> executes it.
/// </summary>
public sealed record Recipe
{
    /// <summary>The input model.</summary>
    public required string Model { get; init; }

    /// <summary>Where the final model is written.</summary>
    public required string Output { get; init; }

    /// <summary>The steps, applied in order, each to the previous step's model.</summary>
    public required IReadOnlyList<RecipeStep> Steps { get; init; }

    /// <summary>The calibration data every step that uses data reads; null for none.</summary>
    public RecipeData? Data { get; init; }

    /// <summary>Where the report is written (Markdown, or HTML for <c>.html</c>); null for none.</summary>
    public string? Report { get; init; }

    /// <summary>Where the results are written as JSON; null for none.</summary>
    public string? Json { get; init; }
}
