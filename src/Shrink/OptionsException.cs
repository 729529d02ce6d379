namespace Shrink;

/// <summary>
/// An option value, or a combination of options, that a method refuses before any work starts (thrown by an options
/// record's <c>Validate()</c>). The message names the options as users type them (<c>--sparsity</c>, also the recipe
/// keys); the CLI reports it as a usage error (exit 2), a library caller gets a <see cref="ShrinkException"/>.
/// </summary>
public class OptionsException : ShrinkException
{
    /// <summary>Creates the exception with a message naming the options and the options themselves.</summary>
    public OptionsException(string message, IReadOnlyList<string> options) : base(message) => Options = options;

    /// <summary>Creates the exception with a message that names the options.</summary>
    public OptionsException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public OptionsException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception without a message (prefer the overloads with one).</summary>
    public OptionsException() { }

    /// <summary>The options at fault, e.g. <c>--ratio</c> and <c>--energy</c>.</summary>
    public IReadOnlyList<string> Options { get; } = [];
}
