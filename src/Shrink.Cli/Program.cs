using System.CommandLine;
using Shrink.Cli;
using Shrink.Cli.Commands;

return Cli.Run(Cli.CreateRoot(), args);

namespace Shrink.Cli
{
    /// <summary>Runs a command line with Shrink's exit-code and error conventions.</summary>
    internal static class Cli
    {
        /// <summary>Every command, as the executable and the in-process tests see them.</summary>
        public static RootCommand CreateRoot() => new("shrink: make ONNX models smaller and faster, and measure what was gained and lost.")
        {
            InspectCommand.Create(),
            EvalCommand.Create(),
            QuantizeCommand.Create(),
            PruneCommand.Create(),
            LowRankCommand.Create(),
            FinetuneCommand.Create(),
            SensitivityCommand.Create(),
            TuneCommand.Create(),
            ParetoCommand.Create(),
            BenchCommand.Create(),
            RunCommand.Create(),
            DocsCommand.Create(),
        };

        public static int Run(RootCommand root, string[] args)
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) Console.Error.WriteLine($"error: {e.Message}");
                Console.Error.WriteLine("Run 'shrink --help' or 'shrink COMMAND --help' for usage.");
                return ExitCodes.Usage;
            }
            try
            {
                return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            }
            catch (Exception e) when (e is UsageException or OptionsException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (Exception e) when (e is ShrinkException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
            catch (Exception e)
            {
                // A bug, not bad input: say so, with what is needed to report it, and still exit with 1.
                Console.Error.WriteLine($"internal error (please report it): {e}");
                return ExitCodes.Failure;
            }
        }
    }
}
