using Shrink.Registration;

namespace Shrink.Recipes;

/// <summary>The methods a recipe step can name: every <see cref="IRecipeMethod"/> class carrying <see cref="RegisteredAttribute"/>.</summary>
public static class RecipeMethods
{
    /// <summary>The registry (names unique, unknown names refused with the valid ones listed).</summary>
    public static Registry<IRecipeMethod> Registry { get; } = Registry<IRecipeMethod>.Discover("recipe method");

    /// <summary>The method named <paramref name="name"/>.</summary>
    public static IRecipeMethod Get(string name) => Registry.Create(name);
}
