namespace Shrink.Tests.Fuzz;

/// <summary>
/// One fuzz case: the files to lay out in a fresh folder and the <c>shrink</c> command line to run there.
/// Arguments may hold the placeholders <c>{dir}</c> (the case folder), <c>{model}</c> (<see cref="ModelPath"/>) and
/// <c>{out}</c> (<see cref="OutputPath"/>), replaced by full paths when the case runs.
/// </summary>
/// <param name="Id">A stable name: the class letter and the case's index in the corpus.</param>
/// <param name="Class">structural, external-data, bytes or options.</param>
/// <param name="Kind">What was mutated (for the summary's failure table).</param>
/// <param name="Args">The command line.</param>
/// <param name="Files">Files to write, by path relative to the case folder.</param>
public sealed record FuzzCase(string Id, string Class, string Kind, string[] Args, IReadOnlyDictionary<string, byte[]> Files)
{
    /// <summary>The input model, relative to the case folder.</summary>
    public const string ModelPath = "m/model.onnx";

    /// <summary>Where outputs go, relative to the case folder (the folder exists; the file does not).</summary>
    public const string OutputPath = "out/output.onnx";

    /// <summary>Symbolic links to make: link path → target (both relative to the case folder, or an absolute target).</summary>
    public IReadOnlyDictionary<string, string> Links { get; init; } = new Dictionary<string, string>();

    /// <summary>Named pipes (FIFOs) to make, relative to the case folder.</summary>
    public IReadOnlyList<string> Fifos { get; init; } = [];

    /// <summary>Empty folders to make besides <c>m</c> and <c>out</c>.</summary>
    public IReadOnlyList<string> Folders { get; init; } = [];

    /// <summary>The case gets an option or path wrong, so the run must be refused (exit 1 or 2, never 0).</summary>
    public bool MustFail { get; init; }

    /// <summary>How long the run may take, in seconds (a run past it is a failure even when it ends cleanly); null for the runner's default.</summary>
    public double? MaxSeconds { get; init; }

    /// <summary>The command line as a user would type it (paths relative to the case folder).</summary>
    public string CommandLine => "shrink " + string.Join(' ', Args.Select(Quote));

    private static string Quote(string a) =>
        a.Length == 0 ? "''" : a.Any(c => char.IsWhiteSpace(c) || c == '\'' || char.IsControl(c)) ? "'" + a.Replace("\0", "\\0", StringComparison.Ordinal) + "'" : a;
}
