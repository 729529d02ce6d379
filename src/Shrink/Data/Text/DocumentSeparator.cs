namespace Shrink.Data.Text;

/// <summary>
/// Where one document of a text file ends (<c>--doc-separator</c>): every line (<see cref="Line"/>), a blank line
/// (<see cref="Blank"/>), or a line holding only a marker (<see cref="Marker"/>, e.g. <c>%</c> in fortune files).
/// </summary>
public sealed record DocumentSeparator
{
    private DocumentSeparator(string? marker, bool lines)
    {
        MarkerText = marker;
        EveryLine = lines;
    }

    /// <summary>Each line is a document (its newline is not part of it).</summary>
    public static DocumentSeparator Line { get; } = new(null, true);

    /// <summary>Documents are separated by blank (whitespace-only) lines; each line of a document keeps its newline.</summary>
    public static DocumentSeparator Blank { get; } = new(null, false);

    /// <summary>Documents are separated by lines holding exactly <paramref name="marker"/>; each line of a document keeps its newline.</summary>
    /// <exception cref="ArgumentException">The marker is empty or holds a newline.</exception>
    public static DocumentSeparator Marker(string marker)
    {
        ArgumentException.ThrowIfNullOrEmpty(marker);
        if (marker.Contains('\n') || marker.Contains('\r'))
            throw new ArgumentException("A document marker is one line of text.", nameof(marker));
        return new DocumentSeparator(marker, false);
    }

    /// <summary>Parses <c>line</c>, <c>blank</c> or any other text as a marker line.</summary>
    public static DocumentSeparator Parse(string text) => text switch
    {
        "line" => Line,
        "blank" => Blank,
        _ => Marker(text),
    };

    /// <summary>The marker line, or null for <see cref="Line"/> and <see cref="Blank"/>.</summary>
    public string? MarkerText { get; }

    /// <summary>True for <see cref="Line"/>.</summary>
    public bool EveryLine { get; }

    /// <inheritdoc />
    public override string ToString() => EveryLine ? "line" : MarkerText is null ? "blank" : $"a line '{MarkerText}'";
}
