namespace Shrink.Tests.Reports.Html;

/// <summary>A fact that needs Debian's <c>chromium</c>; skipped, with the reason shown, where it is not installed.</summary>
internal sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Path is null) Skip = "needs a headless browser: apt-get install chromium";
    }
}
