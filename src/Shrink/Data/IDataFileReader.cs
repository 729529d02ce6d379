namespace Shrink.Data;

/// <summary>
/// A reader for a data file that needs settings of its own (a text file and its tokenizer: <c>Text.TextDataOptions</c>).
/// Set on <see cref="DataOptions.FileReader"/>, it opens the data path in place of the built-in readers.
/// </summary>
public interface IDataFileReader
{
    /// <summary>Opens <paramref name="path"/> for a model with <paramref name="modelInputs"/>, checking the fit before any batch.</summary>
    /// <param name="path">The data file (already checked to be a regular file).</param>
    /// <param name="modelInputs">The model's inputs.</param>
    /// <param name="inputName">The input named by <c>--input</c>, or null.</param>
    /// <param name="note">Receives notes on how the data is fed.</param>
    /// <exception cref="ShrinkException">The file or its fit with the model is wrong; the message names the path.</exception>
    IDataSource Open(string path, IReadOnlyList<ModelInputSpec> modelInputs, string? inputName, Action<string>? note);

    /// <summary>
    /// The reader for next-token windows (<see cref="NextTokenWindows"/>): samples one token longer than the model's
    /// input, as a language model is evaluated. Readers whose samples are fixed by the file return themselves.
    /// </summary>
    IDataFileReader ForNextTokenWindows() => this;
}
