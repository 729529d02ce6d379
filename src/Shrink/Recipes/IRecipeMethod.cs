using Shrink.Data;
using Shrink.Model;

namespace Shrink.Recipes;

/// <summary>
/// A method a recipe step can name (registered with <see cref="Registration.RegisteredAttribute"/>): the options record it
/// binds, its checks, and how it runs, through the same library classes the CLI command uses.
/// </summary>
public interface IRecipeMethod
{
    /// <summary>The options record a step's <c>options</c> object is read into.</summary>
    Type OptionsType { get; }

    /// <summary>Whether the step needs calibration data with these options.</summary>
    bool NeedsData(object options);

    /// <summary>Checks the options (values, names against the registries); throws <see cref="ShrinkException"/> naming the bad one.</summary>
    void Validate(object options);

    /// <summary>Node names the options refer to (checked against the model before anything runs).</summary>
    IEnumerable<string> NodeNames(object options);

    /// <summary>Applies the method to <paramref name="model"/>; <paramref name="input"/> and <paramref name="output"/> name the files in the report.</summary>
    RecipeStepResult Apply(OnnxModel model, object options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress, string input, string output);
}
