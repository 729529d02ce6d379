using System.Globalization;
using System.Text;

namespace Shrink.Reports.Html;

/// <summary>Escaping and number formatting for the HTML page and its SVG.</summary>
internal static class HtmlText
{
    /// <summary>Appends <paramref name="text"/> with &amp;, &lt;, &gt; and quotes escaped (safe in text and attribute values).</summary>
    public static StringBuilder AppendEscaped(this StringBuilder sb, string text)
    {
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default: sb.Append(ch); break;
            }
        }
        return sb;
    }

    /// <summary>Appends Markdown-ish text escaped, with <c>`code`</c> spans as &lt;code&gt; (titles, cells and notes come from the Markdown renderers).</summary>
    public static StringBuilder AppendInline(this StringBuilder sb, string text)
    {
        var parts = text.Split('`');
        if (parts.Length % 2 == 0) return sb.AppendEscaped(text); // an unmatched backtick: leave it as text
        for (int i = 0; i < parts.Length; i++)
        {
            if (i % 2 == 0) sb.AppendEscaped(parts[i]);
            else sb.Append("<code>").AppendEscaped(parts[i]).Append("</code>");
        }
        return sb;
    }

    /// <summary>Appends a coordinate with at most one decimal (invariant culture).</summary>
    public static StringBuilder AppendCoordinate(this StringBuilder sb, double value) =>
        sb.Append(Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture));

    /// <summary>A value for an axis tick or a bar label: four significant digits, invariant culture.</summary>
    public static string Number(double value) =>
        value == 0 ? "0" : Math.Abs(value) is >= 1e-3 and < 1e6 ? value.ToString("0.####", CultureInfo.InvariantCulture) : value.ToString("0.##e0", CultureInfo.InvariantCulture);

    /// <summary><paramref name="text"/> cut to <paramref name="max"/> characters with an ellipsis.</summary>
    public static string Shorten(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
}
