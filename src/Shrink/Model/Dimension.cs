namespace Shrink.Model;

/// <summary>One dimension of a declared shape: a fixed size, a symbolic name (<c>batch</c>), or unknown.</summary>
public readonly record struct Dimension(long? Value, string? Symbol)
{
    /// <summary>True when the size is a fixed number.</summary>
    public bool IsFixed => Value.HasValue;

    /// <inheritdoc />
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}
