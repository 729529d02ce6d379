namespace Shrink.Tests.TestSupport;

/// <summary>Where the repository, the shared material beside it and ONNX's test data live.</summary>
internal static class RepoPaths
{
    /// <summary>Debian's libonnx-testdata package: ONNX's backend test cases.</summary>
    public const string OnnxTestData = "/usr/share/libonnx-testdata/data";

    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The folder holding Shrink.slnx, found by walking up from the test binaries.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The shared material folder, <c>../shared</c> relative to the repository root.</summary>
    public static string SharedDir => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>The shared reference models folder.</summary>
    public static string SharedModels => Path.Combine(SharedDir, "models");

    /// <summary>The small reference CNN shipped in samples/ (a copy of the shared one), a realistic fixture that is always present.</summary>
    public static string CnnSmall => Path.Combine(RepoRoot, "samples", "cnn_small.onnx");

    /// <summary>Tiny models exported by torch.onnx (tests/Shrink.Tests/Fixtures/Exports; export_attention.py regenerates them).</summary>
    public static string Exports => Path.Combine(RepoRoot, "tests", "Shrink.Tests", "Fixtures", "Exports");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Shrink.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Shrink.slnx above {AppContext.BaseDirectory}.");
    }
}
