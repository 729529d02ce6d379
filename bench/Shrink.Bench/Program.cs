namespace Shrink.Bench;

/// <summary>
/// Entry point: <c>Shrink.Bench [--quick] [--out PATH]</c> runs the benchmark; the hidden subcommands
/// <c>loadsave IN OUT</c> and <c>phases IN OUT</c> are what the benchmark runs in child processes.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            if (args.Length == 3 && args[0] == "loadsave") return ChildCommands.LoadSave(args[1], args[2]);
            if (args.Length == 3 && args[0] == "phases") return ChildCommands.Phases(args[1], args[2]);
            var options = BenchOptions.Parse(args);
            if (options is null) return 2;
            return BenchRunner.Run(options);
        }
        catch (ShrinkException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
