namespace Shrink.Data.Text;

/// <summary>Text settings reached through <see cref="DataOptions"/>.</summary>
public static class TextDataOptionsExtensions
{
    /// <summary>
    /// The options with text windows one token longer than the sequence length (<see cref="TextDataOptions.ExtraToken"/>),
    /// as next-token evaluation needs; unchanged when the data is not text.
    /// </summary>
    public static DataOptions WithExtraToken(this DataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.FileReader is { } reader ? options with { FileReader = reader.ForNextTokenWindows() } : options;
    }

    /// <summary>The text settings of <paramref name="options"/>, or null when the data is not text.</summary>
    public static TextDataOptions? TextOptions(this DataOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.FileReader as TextDataOptions;
    }
}
