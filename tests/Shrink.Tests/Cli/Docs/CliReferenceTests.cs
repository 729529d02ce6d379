using System.CommandLine;
using Shrink.Cli.Docs;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli.Docs;

/// <summary>
/// docs/cli.md and the README's table of commands are generated from the command tree; these tests fail when the
/// checked-in text differs from what the tool says. <c>SHRINK_UPDATE_DOCS=1</c> rewrites the files instead.
/// </summary>
public class CliReferenceTests
{
    private const string TableBegin = "<!-- commands:begin (generated from the command tree: SHRINK_UPDATE_DOCS=1 dotnet test --filter CliReferenceTests) -->";
    private const string TableEnd = "<!-- commands:end -->";

    private static string ReferencePath => Path.Combine(RepoPaths.RepoRoot, "docs", "cli.md");

    private static string ReadmePath => Path.Combine(RepoPaths.RepoRoot, "README.md");

    private static bool Update => Environment.GetEnvironmentVariable("SHRINK_UPDATE_DOCS") == "1";

    private static string ReadText(string path) => File.ReadAllText(path).ReplaceLineEndings("\n");

    [Fact]
    public void Checked_in_cli_reference_is_the_generated_one()
    {
        string generated = CliReference.Generate(Shrink.Cli.Cli.CreateRoot());
        if (Update) File.WriteAllText(ReferencePath, generated);
        Assert.True(File.Exists(ReferencePath), $"{ReferencePath} is missing; run SHRINK_UPDATE_DOCS=1 dotnet test --filter CliReferenceTests");
        string checkedIn = ReadText(ReferencePath);
        Assert.True(generated == checkedIn,
            $"docs/cli.md differs from the command tree (first difference at line {FirstDifferentLine(generated, checkedIn)}); rewrite it with SHRINK_UPDATE_DOCS=1 dotnet test --filter CliReferenceTests");
    }

    [Fact]
    public void Readme_table_of_commands_is_the_generated_one()
    {
        string readme = ReadText(ReadmePath);
        int begin = readme.IndexOf(TableBegin, StringComparison.Ordinal), end = readme.IndexOf(TableEnd, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"README.md has no '{TableBegin}' ... '{TableEnd}' region");
        string table = CliReference.CommandTable(Shrink.Cli.Cli.CreateRoot(), "docs/cli.md");
        string current = readme[(begin + TableBegin.Length)..end].Trim('\n') + "\n";
        if (Update && current != table)
        {
            File.WriteAllText(ReadmePath, readme[..(begin + TableBegin.Length)] + "\n" + table + readme[end..]);
            return;
        }
        Assert.Equal(table, current);
    }

    [Fact]
    public void Reference_has_every_visible_command_and_option_with_its_default_and_allowed_values()
    {
        var root = Shrink.Cli.Cli.CreateRoot();
        string reference = CliReference.Generate(root);
        foreach (var command in root.Subcommands.Where(c => !c.Hidden))
        {
            Assert.Contains($"## `shrink {command.Name}`", reference);
            string section = Section(reference, $"## `shrink {command.Name}`");
            foreach (var option in command.Options.Where(o => !o.Hidden && o is not System.CommandLine.Help.HelpOption))
                Assert.Contains($"`{option.Name}`", section);
        }
        string prune = Section(reference, "## `shrink prune`");
        // The default comes from ChannelPruningOptions (16), not from a hand-written number.
        Assert.Contains("| `--channel-multiple` | integer | `16` |", prune);
        Assert.Contains("| `--target` | `latency` \\| `macs` \\| `params` | `macs` |", prune);
        Assert.Contains("| `--float-targets` | `true` \\| `false` | `true` |", prune);
        Assert.Contains("| `--reconstruct` | flag |  |", prune);
        Assert.Contains("| `-o`, `--output` | text (required) |  |", prune);
        Assert.Contains("```\nshrink prune MODEL --output <output> [options]\n```", prune);
        Assert.Contains("| [`shrink prune`](#shrink-prune) |", reference);
        // The hidden generator command is not part of the reference.
        Assert.DoesNotContain("## `shrink docs", reference);
        Assert.DoesNotContain("[`shrink docs`]", reference);
    }

    [Fact]
    public void Help_texts_say_what_the_code_does()
    {
        var root = Shrink.Cli.Cli.CreateRoot();
        Option Find(string command, string name) => root.Subcommands.Single(c => c.Name == command).Options.Single(o => o.Name == name);
        // Latency is the whole model timed beside the unpruned one (LatencyCostModel), not layers timed alone.
        string target = Find("prune", "--target").Description!;
        Assert.Contains("whole model", target);
        Assert.DoesNotContain("timed alone", target);
        // pareto writes its plot and table only; the models of the curve are deleted.
        Assert.DoesNotContain("models of the curve are kept", Find("pareto", "--output").Description!);
        Assert.Contains("deleted", Find("pareto", "--output").Description!);
        Assert.Equal(new Shrink.Methods.Pruning.Structured.ChannelPruningOptions().ChannelMultiple, Find("prune", "--channel-multiple").GetDefaultValue());
    }

    [Fact]
    public void Hidden_docs_command_prints_the_reference()
    {
        var result = ShrinkCli.Run("docs", "cli");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(CliReference.Generate(Shrink.Cli.Cli.CreateRoot()), result.Stdout.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("Generated documentation", ShrinkCli.Run("--help").Stdout);
    }

    private static string Section(string markdown, string heading)
    {
        int start = markdown.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section '{heading}'");
        int next = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return next < 0 ? markdown[start..] : markdown[start..next];
    }

    private static int FirstDifferentLine(string a, string b)
    {
        var x = a.Split('\n');
        var y = b.Split('\n');
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
            if (x[i] != y[i]) return i + 1;
        return Math.Min(x.Length, y.Length) + 1;
    }
}
