using System.Text;

namespace Shrink.Reports.Html;

/// <summary>
/// A <see cref="Report"/> as one self-contained HTML page: the style inline, the plots as inline SVG, no scripts and no
/// external files, so it opens anywhere and can be attached or archived as is.
/// </summary>
public static class HtmlReport
{
    /// <summary>The page.</summary>
    public static string Render(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder(16_384);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
          .AppendEscaped(report.Title.Replace("`", "", StringComparison.Ordinal)).Append("</title>\n<style>\n").Append(ReportStyle.Css).Append("\n</style>\n</head>\n<body>\n<h1>").AppendInline(report.Title).Append("</h1>\n");
        if (report.Charts.Count > 0)
        {
            sb.Append("<section class=\"charts\">\n<h2>Plots</h2>\n");
            foreach (var chart in report.Charts)
            {
                sb.Append("<figure>\n<figcaption>").AppendEscaped(chart.Title).Append("</figcaption>\n");
                switch (chart)
                {
                    case BarChart bar: SvgBarChart.Write(sb, bar); break;
                    case ScatterChart scatter: SvgScatterChart.Write(sb, scatter); break;
                }
                sb.Append("</figure>\n");
            }
            sb.Append("</section>\n");
        }
        foreach (var section in report.Sections) WriteSection(sb, section);
        if (report.Recipe is not null)
        {
            sb.Append("<section class=\"recipe\">\n<h2>Recipe</h2>\n<p>Run <code>shrink run RECIPE.json</code> with this recipe to reproduce the result.</p>\n<pre class=\"recipe\">")
              .AppendEscaped(report.Recipe.TrimEnd()).Append("</pre>\n</section>\n");
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>A self-contained page showing a Markdown report as preformatted text (for results without a report model).</summary>
    public static string RenderPreformatted(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        string firstLine = markdown.Split('\n', 2)[0].TrimStart('#', ' ').TrimEnd('\r');
        var sb = new StringBuilder(markdown.Length + 4096);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").AppendEscaped(firstLine).Append("</title>\n<style>\n").Append(ReportStyle.Css)
          .Append("\n</style>\n</head>\n<body>\n<pre class=\"recipe\">").AppendEscaped(markdown).Append("</pre>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void WriteSection(StringBuilder sb, ReportSection section)
    {
        sb.Append("<section>\n<h2>").AppendInline(section.Title).Append("</h2>\n<table>\n<thead><tr>");
        foreach (var h in section.Table.Headers) sb.Append("<th>").AppendEscaped(h).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in section.Table.Rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").AppendInline(cell).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
        if (section.Notes is { Count: > 0 })
        {
            sb.Append("<ul class=\"notes\">\n");
            foreach (var n in section.Notes) sb.Append("<li>").AppendInline(n).Append("</li>\n");
            sb.Append("</ul>\n");
        }
        sb.Append("</section>\n");
    }
}
