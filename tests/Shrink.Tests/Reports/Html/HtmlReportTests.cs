using System.Text.RegularExpressions;
using System.Xml.Linq;
using Shrink.Reports.Html;
using Shrink.Reports.Rendering;

namespace Shrink.Tests.Reports.Html;

public class HtmlReportTests
{
    [Fact]
    public void The_page_is_self_contained_no_scripts_no_external_files()
    {
        string html = HtmlReport.Render(ReportFixtures.Synthetic());
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        // The only URL is the SVG namespace.
        Assert.All(Regex.Matches(html, "https?://[^\"]+").Select(m => m.Value), url => Assert.Equal("http://www.w3.org/2000/svg", url));
    }

    [Fact]
    public void Text_is_escaped_and_code_spans_become_code_elements()
    {
        string html = HtmlReport.Render(ReportFixtures.Synthetic());
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("fc2 &lt;b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<h1>Demo of <code>tiny.onnx</code></h1>", html, StringComparison.Ordinal);
        Assert.Contains("<td>a|b</td>", html, StringComparison.Ordinal);
        Assert.Contains("<pre class=\"recipe\">{&quot;model&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_chart_is_well_formed_svg_with_a_bar_per_finite_value_and_a_circle_per_point()
    {
        string html = HtmlReport.Render(ReportFixtures.Synthetic());
        var svgs = Regex.Matches(html, "<svg .*?</svg>", RegexOptions.Singleline).Select(m => XElement.Parse(m.Value)).ToList();
        Assert.Equal(2, svgs.Count);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var bars = svgs[0].Descendants(ns + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        Assert.Equal(2, bars.Count); // the infinite value is listed, not drawn
        Assert.Contains("Not plotted (not finite, e.g. an exact layer): exact.", html, StringComparison.Ordinal);
        double w1 = double.Parse((string)bars[0].Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture);
        double w2 = double.Parse((string)bars[1].Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0.05 / 0.02, w2 / w1, 1); // bar lengths are proportional to the values (the axis starts at 0)
        Assert.Equal(3, svgs[1].Descendants(ns + "circle").Count());
        Assert.Single(svgs[1].Descendants(ns + "path"), p => (string?)p.Attribute("class") == "front");
    }

    [Fact]
    public void A_markdown_only_result_becomes_a_standalone_page_with_the_text_preformatted()
    {
        string html = HtmlReport.RenderPreformatted("# Low-rank of `a` → `b`\n\n| x | y |\n");
        Assert.Contains("<title>Low-rank of `a` → `b`</title>", html, StringComparison.Ordinal);
        Assert.Contains("<pre class=\"recipe\"># Low-rank", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_format_follows_the_extension()
    {
        var report = ReportFixtures.Synthetic();
        Assert.StartsWith("<!DOCTYPE html>", ReportFormat.Render(report, "r.HTML"), StringComparison.Ordinal);
        Assert.StartsWith("{", ReportFormat.Render(report, "r.json"), StringComparison.Ordinal);
        Assert.Equal(report.ToMarkdown(), ReportFormat.Render(report, "r.md"));
    }
}
