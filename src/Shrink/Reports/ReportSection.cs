using System.Text;

namespace Shrink.Reports;

/// <summary>A titled table with optional notes; the CLI prints it, reports write it as Markdown.</summary>
public sealed record ReportSection(string Title, MarkdownTable Table, IReadOnlyList<string>? Notes = null)
{
    /// <summary>A Markdown document: a level-1 <paramref name="title"/>, then each section as a level-2 heading, table and notes.</summary>
    public static string ToMarkdown(string title, IEnumerable<ReportSection> sections) => $"# {title}{Environment.NewLine}" + SectionsToMarkdown(sections);

    /// <summary>Each section as a level-2 heading, table and notes (to append to a document).</summary>
    public static string SectionsToMarkdown(IEnumerable<ReportSection> sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        var sb = new StringBuilder();
        foreach (var s in sections)
        {
            sb.AppendLine().AppendLine($"## {s.Title}").AppendLine().Append(s.Table);
            if (s.Notes is { Count: > 0 })
            {
                sb.AppendLine();
                foreach (var n in s.Notes) sb.AppendLine($"- {n}");
            }
        }
        return sb.ToString();
    }
}
