namespace Shrink.Reports.Rendering;

/// <summary>Picks a report's rendering by the file's extension: <c>.html</c>/<c>.htm</c> HTML, <c>.json</c> JSON, anything else Markdown.</summary>
public static class ReportFormat
{
    /// <summary>Whether <paramref name="path"/> asks for the HTML page.</summary>
    public static bool IsHtml(string path) => Path.GetExtension(path).ToLowerInvariant() is ".html" or ".htm";

    /// <summary>Whether <paramref name="path"/> asks for JSON.</summary>
    public static bool IsJson(string path) => Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="report"/> rendered for <paramref name="path"/>.</summary>
    public static string Render(Report report, string path) =>
        IsHtml(path) ? Reports.Html.HtmlReport.Render(report) : IsJson(path) ? ReportJson.Serialize(report) + "\n" : report.ToMarkdown();
}
