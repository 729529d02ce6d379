using System.CommandLine;

namespace Shrink.Cli.Commands;

/// <summary>
/// Options that apply only in one mode of a command (channel pruning or sparsity, --qat, --pipeline, --eval-data...):
/// given explicitly outside it, they are refused before any work with one message naming the option and where it
/// applies, instead of being ignored. Each command lists its scoped options in one table of <see cref="Require"/> calls.
/// </summary>
internal static class OptionScope
{
    /// <summary>
    /// Refuses the first of <paramref name="options"/> given on the command line when <paramref name="applies"/> is
    /// false: "NAME applies to <paramref name="scope"/>[; <paramref name="hint"/>]."
    /// </summary>
    /// <exception cref="UsageException">One of the options was given out of its scope.</exception>
    public static void Require(ParseResult parse, bool applies, string scope, string? hint, params IEnumerable<Option> options)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (applies) return;
        foreach (var option in options)
        {
            if (parse.GetResult(option) is { Implicit: false })
                throw new UsageException($"{option.Name} applies to {scope}{(hint is null ? "" : $"; {hint}")}.");
        }
    }
}
