using System.Reflection;
using Shrink.Data;
using Shrink.Model;

namespace Shrink.Recipes;

/// <summary>The typed base of the recipe methods: casts the options record once, and calls the record's own <c>Validate()</c> when it has one.</summary>
public abstract class RecipeMethod<TOptions> : IRecipeMethod where TOptions : class
{
    /// <inheritdoc />
    public Type OptionsType => typeof(TOptions);

    /// <inheritdoc />
    public bool NeedsData(object options) => NeedsData((TOptions)options);

    /// <inheritdoc />
    public void Validate(object options)
    {
        var typed = (TOptions)options;
        // The record's own cross-field rules, where it has them, are the ones the CLI applies too.
        var own = typeof(TOptions).GetMethod("Validate", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        try
        {
            own?.Invoke(typed, null);
        }
        catch (TargetInvocationException e) when (e.InnerException is ShrinkException inner)
        {
            throw inner;
        }
        Check(typed);
    }

    /// <inheritdoc />
    public IEnumerable<string> NodeNames(object options) => NodeNames((TOptions)options);

    /// <inheritdoc />
    public RecipeStepResult Apply(OnnxModel model, object options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress, string input, string output) =>
        Apply(model, (TOptions)options, openData, progress, input, output);

    /// <summary>Whether these options need calibration data.</summary>
    protected abstract bool NeedsData(TOptions options);

    /// <summary>Checks beyond the record's <c>Validate()</c>: names against the registries, ranges the record does not check.</summary>
    protected abstract void Check(TOptions options);

    /// <summary>Node names the options refer to.</summary>
    protected abstract IEnumerable<string> NodeNames(TOptions options);

    /// <summary>Runs the method.</summary>
    protected abstract RecipeStepResult Apply(OnnxModel model, TOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress, string input, string output);

    /// <summary>Throws <see cref="ShrinkException"/> with <paramref name="message"/> unless <paramref name="condition"/> holds.</summary>
    protected static void Require(bool condition, string message)
    {
        if (!condition) throw new ShrinkException(message);
    }
}
