using System.Globalization;
using System.Text;

namespace Shrink.Tests.Fuzz;

/// <summary>The fuzz run as Markdown: cases by class (ok / failing), the commonest failures, the failing mutation kinds and the first failures in full.</summary>
internal static class FuzzSummary
{
    public static string ToMarkdown(IReadOnlyList<FuzzOutcome> outcomes, TimeSpan elapsed, int detailed = 15)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        int failing = outcomes.Count(o => !o.Ok);
        sb.AppendLine(inv, $"## CLI fuzz corpus (seed {FuzzCorpus.Seed}): {outcomes.Count} cases, {outcomes.Count - failing} ok, {failing} failing ({elapsed.TotalSeconds:0} s)");
        sb.AppendLine();
        sb.AppendLine("| class | cases | ok | failing | exit 0 / 1 / 2 |");
        sb.AppendLine("| --- | ---: | ---: | ---: | --- |");
        foreach (var g in outcomes.GroupBy(o => o.Case.Class))
            sb.AppendLine(inv, $"| {g.Key} | {g.Count()} | {g.Count(o => o.Ok)} | {g.Count(o => !o.Ok)} | {g.Count(o => o.ExitCode == 0)} / {g.Count(o => o.ExitCode == 1)} / {g.Count(o => o.ExitCode == 2)} |");
        sb.AppendLine(inv, $"| **all** | {outcomes.Count} | {outcomes.Count - failing} | {failing} | |");
        if (failing == 0) return sb.ToString();

        sb.AppendLine();
        sb.AppendLine("### Failures by check");
        sb.AppendLine();
        sb.AppendLine("| failure | cases | by class | first case |");
        sb.AppendLine("| --- | ---: | --- | --- |");
        foreach (var g in outcomes.SelectMany(o => o.Failures.Select(f => (Failure: f, Outcome: o))).GroupBy(x => x.Failure).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            string classes = string.Join(", ", g.GroupBy(x => x.Outcome.Case.Class).Select(c => $"{c.Key} {c.Count()}"));
            sb.AppendLine(inv, $"| {Cell(g.Key)} | {g.Count()} | {classes} | {g.First().Outcome.Case.Id} |");
        }

        sb.AppendLine();
        sb.AppendLine("### Failing cases by mutation or option");
        sb.AppendLine();
        sb.AppendLine("| class | kind | failing / cases | failures |");
        sb.AppendLine("| --- | --- | ---: | --- |");
        foreach (var g in outcomes.GroupBy(o => (o.Case.Class, o.Case.Kind)).Where(g => g.Any(o => !o.Ok)).OrderBy(g => g.Key.Class, StringComparer.Ordinal).ThenByDescending(g => g.Count(o => !o.Ok)))
        {
            string what = string.Join("; ", g.SelectMany(o => o.Failures).GroupBy(f => f).OrderByDescending(f => f.Count()).Take(3).Select(f => f.Key));
            sb.AppendLine(inv, $"| {g.Key.Class} | {Cell(g.Key.Kind)} | {g.Count(o => !o.Ok)} / {g.Count()} | {Cell(what)} |");
        }

        sb.AppendLine();
        sb.AppendLine(inv, $"### First {Math.Min(detailed, failing)} failures");
        foreach (var o in outcomes.Where(o => !o.Ok).Take(detailed))
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"- **{o.Case.Id}** ({o.Case.Class}: {o.Case.Kind}) `{o.Case.CommandLine}` → exit {o.ExitCode}: {string.Join("; ", o.Failures)}");
            var lines = o.Stderr.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).Take(4).ToArray();
            if (lines.Length > 0)
            {
                sb.AppendLine("  ```");
                foreach (var l in lines) sb.AppendLine("  " + (l.Length > 300 ? l[..300] + "…" : l));
                sb.AppendLine("  ```");
            }
        }
        return sb.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
