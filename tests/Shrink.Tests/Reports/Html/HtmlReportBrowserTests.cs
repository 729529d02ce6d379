using Shrink.Reports;
using Shrink.Reports.Html;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Reports.Html;

/// <summary>The HTML report of a real result, opened in a real headless browser: no page errors, the plots in the DOM and on screen.</summary>
public class HtmlReportBrowserTests
{
    private const int BarBlue = 0x3b6fb6;

    private static string WritePage(TempDirectory dir)
    {
        var quantized = ReportFixtures.Static();
        var parts = new[] { QuantizationReport.Build(quantized, "mlp.onnx", "mlp.int8.onnx", 5000, 2000), ReportFixtures.Synthetic() };
        string path = dir.File("report.html");
        File.WriteAllText(path, HtmlReport.Render(Report.Combine("Recipe `mlp.onnx` → `mlp.int8.onnx`", parts, parts[1].Recipe)));
        return path;
    }

    [ChromiumFact]
    public void The_page_loads_without_errors_and_its_dom_holds_the_svg_plots()
    {
        using var dir = new TempDirectory();
        var run = HeadlessChromium.Open(WritePage(dir), "--dump-dom", dir.File("profile"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Empty(HeadlessChromium.PageErrors(run.Stderr));
        Assert.Equal(3, CountOf(run.Stdout, "<svg "));
        Assert.True(CountOf(run.Stdout, "<rect class=\"bar\"") >= 4, run.Stdout);
        Assert.Equal(3, CountOf(run.Stdout, "<circle class=\"point"));
    }

    [ChromiumFact]
    public void The_error_check_catches_a_page_that_throws()
    {
        using var dir = new TempDirectory();
        string bad = dir.File("bad.html");
        File.WriteAllText(bad, "<!DOCTYPE html><html><body><p>x</p><script>console.error('broken'); undefinedFunction();</script></body></html>");
        var run = HeadlessChromium.Open(bad, "--dump-dom", dir.File("profile"));
        Assert.NotEmpty(HeadlessChromium.PageErrors(run.Stderr));
    }

    [ChromiumFact]
    public void The_screenshot_shows_the_bars_of_the_plot()
    {
        using var dir = new TempDirectory();
        string shot = dir.File("shot.png");
        var run = HeadlessChromium.Open(WritePage(dir), $"--screenshot={shot}", dir.File("profile"));
        Assert.True(File.Exists(shot), run.Stderr);
        var png = PngImage.Load(shot);
        Assert.Equal((1200, 900), (png.Width, png.Height));
        int blue = 0, distinct;
        var colors = new HashSet<int>();
        for (int y = 0; y < png.Height; y++)
        {
            for (int x = 0; x < png.Width; x++)
            {
                int rgb = png.Rgb(x, y);
                colors.Add(rgb);
                if (rgb == BarBlue) blue++;
            }
        }
        distinct = colors.Count;
        Assert.True(distinct > 20, $"the screenshot has only {distinct} colours: blank?");
        Assert.True(blue > 2000, $"only {blue} pixels of the bar colour #{BarBlue:x6}: the plot is not on screen");
    }

    private static int CountOf(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
