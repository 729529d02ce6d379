using System.Globalization;

namespace Shrink.Reports;

/// <summary>Pieces the method reports share: the title, the pre-processing notes, the table of layers left out, the error cell.</summary>
internal static class ReportParts
{
    /// <summary>"<paramref name="action"/> of `input` → `output`", with the files' names only.</summary>
    public static string Title(string action, string input, string output) =>
        $"{action} of `{Path.GetFileName(input)}` → `{Path.GetFileName(output)}`";

    /// <summary>One note per pre-processing line, "pre-processing: …".</summary>
    public static List<string> PreprocessingNotes(IEnumerable<string> preprocessing) =>
        preprocessing.Select(p => "pre-processing: " + p).ToList();

    /// <summary>Adds a node/op/reason table titled <paramref name="title"/> to <paramref name="sections"/> when <paramref name="left"/> is not empty.</summary>
    public static void AddLeftOut(List<ReportSection> sections, string title, IReadOnlyList<(string Name, string OpType, string Reason)> left)
    {
        if (left.Count == 0) return;
        var table = new MarkdownTable("node", "op", "reason");
        foreach (var (name, op, reason) in left) table.Add(name, op, reason);
        sections.Add(new ReportSection(title, table));
    }

    /// <summary>The note for a table cut at <paramref name="shown"/> of <paramref name="count"/> rows, or null when nothing was cut.</summary>
    public static string? MoreRows(int count, int shown, string what) =>
        count > shown ? $"{count - shown} more {what} in the Markdown report (--report)." : null;

    /// <summary>A relative error: F4, or two significant digits in E notation below 10⁻³; – when not measured.</summary>
    public static string Error(double? e) => e is double v ? v.ToString(v < 1e-3 ? "0.00e0" : "F4", CultureInfo.InvariantCulture) : "–";
}
