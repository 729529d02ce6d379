using System.Text;

namespace Shrink.Reports;

/// <summary>
/// One result as a report: a title, the sections (tables and notes), the plots and, when it came from a recipe or can be
/// reproduced by one, the recipe as JSON. The same model is rendered as Markdown (<see cref="ToMarkdown"/>, identical to
/// the per-result renderers), JSON (<see cref="ReportJson"/>) and a self-contained HTML page (<see cref="Html.HtmlReport"/>).
/// </summary>
public sealed record Report(string Title, IReadOnlyList<ReportSection> Sections)
{
    /// <summary>The plots, in order.</summary>
    public IReadOnlyList<ReportChart> Charts { get; init; } = [];

    /// <summary>The recipe (JSON text) that reproduces the result; null when none was given.</summary>
    public string? Recipe { get; init; }

    /// <summary>The report as Markdown: the title, the sections and, when set, the recipe in a fenced block.</summary>
    public string ToMarkdown()
    {
        string text = ReportSection.ToMarkdown(Title, Sections);
        if (Recipe is null) return text;
        var sb = new StringBuilder(text);
        sb.AppendLine().AppendLine("## Recipe").AppendLine().AppendLine("Run `shrink run RECIPE.json` with this recipe to reproduce the result.").AppendLine();
        sb.AppendLine("```json").AppendLine(Recipe.TrimEnd()).AppendLine("```");
        return sb.ToString();
    }

    /// <summary>Several reports (the steps of a recipe) as one: <paramref name="title"/>, every section and chart, in order.</summary>
    public static Report Combine(string title, IReadOnlyList<Report> parts, string? recipe)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 1) return parts[0] with { Title = title, Recipe = recipe };
        var sections = new List<ReportSection>();
        var charts = new List<ReportChart>();
        for (int i = 0; i < parts.Count; i++)
        {
            string prefix = $"Step {i + 1}: ";
            sections.AddRange(parts[i].Sections.Select(s => s with { Title = prefix + s.Title }));
            charts.AddRange(parts[i].Charts.Select(c => c with { Title = prefix + c.Title }));
        }
        return new Report(title, sections) { Charts = charts, Recipe = recipe };
    }
}
