namespace Shrink.Recipes;

/// <summary>A recipe that cannot run as written (an unknown method or key, a bad value): a usage error, raised before any work.</summary>
public sealed class RecipeException : ShrinkException
{
    /// <summary>Creates the exception with a message naming the step and key.</summary>
    public RecipeException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping <paramref name="inner"/>.</summary>
    public RecipeException(string message, Exception inner) : base(message, inner) { }
}
