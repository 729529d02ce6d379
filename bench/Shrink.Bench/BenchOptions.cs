namespace Shrink.Bench;

/// <summary>Command-line options of the benchmark.</summary>
internal sealed record BenchOptions(bool Quick, string OutputPath)
{
    public const string Usage = "usage: Shrink.Bench [--quick] [--out PATH]   (default PATH: bench/RESULTS.md of the repository)";

    /// <summary>True when the arguments ask for the usage text.</summary>
    public static bool IsHelp(IReadOnlyList<string> args) => args is ["-h"] or ["--help"];

    /// <summary>Parses the arguments; null (after printing why) when they are wrong.</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args)
    {
        bool quick = false;
        string? output = null;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--out" when i + 1 < args.Count:
                    output = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument '{args[i]}'\n{Usage}");
                    return null;
            }
        }
        return new BenchOptions(quick, Path.GetFullPath(output ?? DefaultOutput()));
    }

    // The repository root is the first folder up from here that holds Shrink.slnx.
    private static string DefaultOutput()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Shrink.slnx")))
                return Path.Combine(dir.FullName, "bench", "RESULTS.md");
        return "RESULTS.md";
    }
}
