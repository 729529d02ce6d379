using System.CommandLine;
using Shrink.Registration;

namespace Shrink.Cli.Commands;

/// <summary>
/// Options whose values are the names of registered extensions (calibrators, rounders, criteria, sensitivity methods):
/// the accepted values and the help list come from the registries, so a new registered class shows up on the command
/// line without touching the CLI.
/// </summary>
internal static class RegistryChoices
{
    /// <summary>
    /// Restricts <paramref name="option"/> to the names of <paramref name="registries"/> (in their listing order) and
    /// ends its description with each name's summary.
    /// </summary>
    public static Option<T> Choices<T>(this Option<T> option, params IEnumerable<RegistryEntry>[] registries)
    {
        var entries = registries.SelectMany(r => r).ToList();
        option.AcceptOnlyFromAmong([.. entries.Select(e => e.Name)]);
        return option;
    }

    /// <summary>"name: summary; name: summary" for help text.</summary>
    public static string Describe(IEnumerable<RegistryEntry> entries) => string.Join("; ", entries.Select(e => $"{e.Name}: {e.Summary}"));

    /// <summary>"a, b or c" for messages.</summary>
    public static string OneOf(IReadOnlyList<string> names) =>
        names.Count <= 1 ? string.Join("", names) : $"{string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}";

    /// <summary>The names a choice option accepts (its completions), as the help and the parser offer them.</summary>
    public static IReadOnlyList<string> Offered(Option option) =>
        [.. option.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label)];
}
