using System.Text;

namespace Shrink.Reports.Html;

/// <summary>A <see cref="BarChart"/> as inline SVG: horizontal bars with their labels on the left, a value axis below.</summary>
internal static class SvgBarChart
{
    private const double Width = 900, LabelWidth = 250, Right = 80, Top = 10, BarHeight = 16, Gap = 6, AxisHeight = 40;

    /// <summary>Appends the chart; bars whose value is not finite (an exact layer's infinite SQNR) are listed under it instead.</summary>
    public static void Write(StringBuilder sb, BarChart chart)
    {
        var bars = chart.Bars.Where(b => double.IsFinite(b.Value)).ToList();
        var skipped = chart.Bars.Where(b => !double.IsFinite(b.Value)).Select(b => b.Label).ToList();
        if (bars.Count == 0)
        {
            sb.Append("<p class=\"empty\">No finite values to plot.</p>\n");
            return;
        }
        double height = Top + bars.Count * (BarHeight + Gap) + AxisHeight;
        var scale = new AxisScale(Math.Min(0, bars.Min(b => b.Value)), Math.Max(0, bars.Max(b => b.Value)), LabelWidth, Width - Right);
        sb.Append("<svg class=\"chart bar-chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"").AppendCoordinate(Width).Append("\" height=\"").AppendCoordinate(height)
          .Append("\" viewBox=\"0 0 ").AppendCoordinate(Width).Append(' ').AppendCoordinate(height).Append("\"><title>").AppendEscaped(chart.Title).Append("</title>\n");
        double axisY = Top + bars.Count * (BarHeight + Gap);
        foreach (double tick in scale.Ticks())
        {
            double x = scale.Pixel(tick);
            sb.Append("<path class=\"grid\" d=\"M").AppendCoordinate(x).Append(' ').AppendCoordinate(Top).Append('V').AppendCoordinate(axisY).Append("\"/>");
            sb.Append("<text class=\"tick\" x=\"").AppendCoordinate(x).Append("\" y=\"").AppendCoordinate(axisY + 14).Append("\" text-anchor=\"middle\">").AppendEscaped(HtmlText.Number(tick)).Append("</text>\n");
        }
        double zero = scale.Pixel(0);
        for (int i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            double y = Top + i * (BarHeight + Gap), x = scale.Pixel(bar.Value);
            double left = Math.Min(x, zero), width = Math.Max(Math.Abs(x - zero), 0.5);
            sb.Append("<text class=\"label\" x=\"").AppendCoordinate(LabelWidth - 6).Append("\" y=\"").AppendCoordinate(y + BarHeight - 4).Append("\" text-anchor=\"end\">")
              .AppendEscaped(HtmlText.Shorten(bar.Label, 36)).Append("</text>");
            sb.Append("<rect class=\"bar\" x=\"").AppendCoordinate(left).Append("\" y=\"").AppendCoordinate(y).Append("\" width=\"").AppendCoordinate(width).Append("\" height=\"").AppendCoordinate(BarHeight)
              .Append("\"><title>").AppendEscaped(bar.Label).Append(": ").AppendEscaped(HtmlText.Number(bar.Value)).Append("</title></rect>");
            sb.Append("<text class=\"value\" x=\"").AppendCoordinate(Math.Max(x, zero) + 4).Append("\" y=\"").AppendCoordinate(y + BarHeight - 4).Append("\">").AppendEscaped(HtmlText.Number(bar.Value)).Append("</text>\n");
        }
        sb.Append("<path class=\"axis\" d=\"M").AppendCoordinate(zero).Append(' ').AppendCoordinate(Top).Append('V').AppendCoordinate(axisY).Append('M').AppendCoordinate(LabelWidth).Append(' ').AppendCoordinate(axisY)
          .Append('H').AppendCoordinate(Width - Right).Append("\"/>");
        sb.Append("<text class=\"axis-label\" x=\"").AppendCoordinate((LabelWidth + Width - Right) / 2).Append("\" y=\"").AppendCoordinate(axisY + 34).Append("\" text-anchor=\"middle\">")
          .AppendEscaped(chart.ValueLabel).Append("</text>\n</svg>\n");
        if (skipped.Count > 0)
        {
            sb.Append("<p class=\"note\">Not plotted (not finite, e.g. an exact layer): ");
            for (int i = 0; i < skipped.Count; i++)
            {
                if (i > 0) sb.Append(", ");
                sb.AppendEscaped(skipped[i]);
            }
            sb.Append(".</p>\n");
        }
    }
}
