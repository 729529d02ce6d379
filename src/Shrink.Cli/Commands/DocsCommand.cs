using System.CommandLine;
using Shrink.Cli.Docs;

namespace Shrink.Cli.Commands;

/// <summary>
/// <c>shrink docs cli</c> (hidden): prints the CLI reference generated from the command tree, the text of
/// <c>docs/cli.md</c>.
/// </summary>
internal static class DocsCommand
{
    public static Command Create()
    {
        var cli = new Command("cli", "Print the CLI reference (docs/cli.md) generated from the command tree.");
        cli.SetAction(parse =>
        {
            Console.Out.Write(CliReference.Generate(Cli.CreateRoot()));
            return ExitCodes.Ok;
        });
        return new Command("docs", "Generated documentation.") { Hidden = true, Subcommands = { cli } };
    }
}
