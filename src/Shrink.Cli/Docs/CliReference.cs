using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.Globalization;
using System.Text;

namespace Shrink.Cli.Docs;

/// <summary>
/// The CLI reference (<c>docs/cli.md</c>) and the README's table of commands, generated from the command tree that
/// <c>--help</c> reads: every visible command, argument and option with its description, default and allowed values.
/// Nothing here is written by hand, so the reference cannot disagree with the tool; a test compares the checked-in files
/// with this output.
/// </summary>
internal static class CliReference
{
    /// <summary>The first line of the generated reference: it says where the text comes from and how to rewrite it.</summary>
    public const string GeneratedNote = "<!-- Generated from the command tree (src/Shrink.Cli/Docs/CliReference.cs, `shrink docs cli`); do not edit by hand. Rewrite with SHRINK_UPDATE_DOCS=1 dotnet test --filter CliReferenceTests -->";

    /// <summary>The whole reference, as Markdown.</summary>
    public static string Generate(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var md = new StringBuilder();
        md.Append(GeneratedNote).Append("\n\n");
        md.Append("# CLI reference\n\n");
        md.Append(Cell(root.Description)).Append("\n\n");
        md.Append("Every command has `--help`. Exit codes: **")
            .Append(ExitCodes.Ok.ToString(CultureInfo.InvariantCulture)).Append("** ok, **")
            .Append(ExitCodes.Failure.ToString(CultureInfo.InvariantCulture)).Append("** failure (bad model or data, a failed run: the message names the file, node or tensor), **")
            .Append(ExitCodes.Usage.ToString(CultureInfo.InvariantCulture)).Append("** usage (unknown option, bad value). ")
            .Append("Tables go to standard output, progress to standard error; `--json FILE` (or `--json -` for standard output only) gives machine-readable results. ")
            .Append("Nothing is written until the whole run has succeeded, and the inputs are never modified ")
            .Append("(see [reliability.md](reliability.md)).\n\n");
        md.Append(CommandTable(root, "")).Append('\n');
        foreach (var command in Visible(root))
            AppendCommand(md, command, "shrink " + command.Name);
        return md.ToString();
    }

    /// <summary>
    /// One row per visible command: its name, linked to its section of the reference at <paramref name="referencePath"/>
    /// (empty: this page), and its description. The README's table of commands.
    /// </summary>
    public static string CommandTable(RootCommand root, string referencePath)
    {
        ArgumentNullException.ThrowIfNull(root);
        var md = new StringBuilder();
        md.Append("| command | what it does |\n|---|---|\n");
        foreach (var command in Visible(root))
            md.Append("| [`shrink ").Append(command.Name).Append("`](").Append(referencePath).Append('#').Append(Anchor("shrink " + command.Name)).Append(") | ")
                .Append(Cell(command.Description)).Append(" |\n");
        return md.ToString();
    }

    private static IEnumerable<Command> Visible(Command command) => command.Subcommands.Where(c => !c.Hidden);

    private static void AppendCommand(StringBuilder md, Command command, string path)
    {
        md.Append("## `").Append(path).Append("`\n\n");
        md.Append(Cell(command.Description)).Append("\n\n");
        var arguments = command.Arguments.Where(a => !a.Hidden).ToList();
        var options = command.Options.Where(o => !o.Hidden && o is not HelpOption and not VersionOption).ToList();
        md.Append("```\n").Append(path);
        foreach (var argument in arguments)
            md.Append(' ').Append(argument.Arity.MaximumNumberOfValues > 1 ? argument.Name + "..." : argument.Name);
        foreach (var option in options.Where(o => o.Required))
            md.Append(' ').Append(option.Name).Append(" <").Append(option.HelpName ?? option.Name.TrimStart('-')).Append('>');
        if (options.Any(o => !o.Required)) md.Append(" [options]");
        md.Append("\n```\n\n");
        if (arguments.Count > 0)
        {
            md.Append("| argument | description |\n|---|---|\n");
            foreach (var argument in arguments)
                md.Append("| `").Append(argument.Name).Append("` | ").Append(Cell(argument.Description))
                    .Append(argument.Arity.MaximumNumberOfValues > 1 ? " (one or more)" : "").Append(" |\n");
            md.Append('\n');
        }
        if (options.Count > 0)
        {
            md.Append("| option | value | default | description |\n|---|---|---|---|\n");
            foreach (var option in options)
                md.Append("| ").Append(string.Join(", ", Names(option).Select(n => $"`{n}`")))
                    .Append(" | ").Append(Value(option))
                    .Append(" | ").Append(Default(option))
                    .Append(" | ").Append(Cell(option.Description)).Append(" |\n");
            md.Append('\n');
        }
        foreach (var sub in Visible(command))
            AppendCommand(md, sub, path + " " + sub.Name);
    }

    // Short aliases first, then the name: -o, --output.
    private static IEnumerable<string> Names(Option option) =>
        option.Aliases.Where(a => a != option.Name).OrderBy(a => a.Length).ThenBy(a => a, StringComparer.Ordinal).Append(option.Name);

    // What the option takes: its allowed values where it names them (the same completions --help lists), else the kind of value.
    private static string Value(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type == typeof(bool)) return option.HasDefaultValue && option.GetDefaultValue() is true ? "`true` \\| `false`" : "flag";
        var allowed = AllowedValues(option);
        if (allowed.Count > 0) return string.Join(" \\| ", allowed.Select(v => $"`{v}`"));
        string kind = type == typeof(int) || type == typeof(long) ? "integer"
            : type == typeof(double) || type == typeof(float) ? "number"
            : "text";
        if (type.IsArray) kind = (type.GetElementType() == typeof(string) ? "text" : "value") + ", repeatable";
        return option.Required ? kind + " (required)" : kind;
    }

    private static List<string> AllowedValues(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        // Path options complete from the file system, which would make the text depend on the folder it is generated in.
        if (type == typeof(bool) || typeof(FileSystemInfo).IsAssignableFrom(type.IsArray ? type.GetElementType() : type)) return [];
        return option.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
    }

    private static string Default(Option option)
    {
        if (!option.HasDefaultValue) return "";
        return option.GetDefaultValue() switch
        {
            null => "",
            bool b => b ? "`true`" : "",
            IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
            var v => v.ToString() is { Length: > 0 } s ? $"`{Cell(s)}`" : "",
        };
    }

    // A description on one line, safe inside a Markdown table cell.
    private static string Cell(string? text) => (text ?? "").ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal).Trim();

    // GitHub's heading anchor: lower case, punctuation other than '-' dropped, spaces to '-'.
    private static string Anchor(string heading) =>
        new(heading.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is '-' or ' ').Select(c => c == ' ' ? '-' : c).ToArray());
}
