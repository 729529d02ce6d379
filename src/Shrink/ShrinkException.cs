namespace Shrink;

/// <summary>
/// A failure caused by the user's input (a model, a data set, an option) rather than by a bug.
/// The message always names the offending file, node or tensor; the CLI prints it and exits with 1.
/// </summary>
public class ShrinkException : Exception
{
    /// <summary>Creates the exception with a message that names what is wrong.</summary>
    public ShrinkException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public ShrinkException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception without a message (prefer the overloads with one).</summary>
    public ShrinkException() { }
}
