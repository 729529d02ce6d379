using System.Text;

namespace Shrink.Reports.Html;

/// <summary>A <see cref="ScatterChart"/> as inline SVG: two axes with ticks, a circle per point, the highlighted points joined by a line.</summary>
internal static class SvgScatterChart
{
    private const double Width = 900, Height = 460, Left = 80, Right = 30, Top = 20, Bottom = 60;

    /// <summary>Appends the chart; points with a coordinate that is not finite are left out.</summary>
    public static void Write(StringBuilder sb, ScatterChart chart)
    {
        var points = chart.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        if (points.Count == 0)
        {
            sb.Append("<p class=\"empty\">No finite values to plot.</p>\n");
            return;
        }
        var xs = new AxisScale(points.Min(p => p.X), points.Max(p => p.X), Left, Width - Right);
        var ys = new AxisScale(points.Min(p => p.Y), points.Max(p => p.Y), Height - Bottom, Top);
        sb.Append("<svg class=\"chart scatter-chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"").AppendCoordinate(Width).Append("\" height=\"").AppendCoordinate(Height)
          .Append("\" viewBox=\"0 0 ").AppendCoordinate(Width).Append(' ').AppendCoordinate(Height).Append("\"><title>").AppendEscaped(chart.Title).Append("</title>\n");
        foreach (double tick in xs.Ticks())
        {
            double x = xs.Pixel(tick);
            sb.Append("<path class=\"grid\" d=\"M").AppendCoordinate(x).Append(' ').AppendCoordinate(Top).Append('V').AppendCoordinate(Height - Bottom).Append("\"/>");
            sb.Append("<text class=\"tick\" x=\"").AppendCoordinate(x).Append("\" y=\"").AppendCoordinate(Height - Bottom + 16).Append("\" text-anchor=\"middle\">").AppendEscaped(HtmlText.Number(tick)).Append("</text>\n");
        }
        foreach (double tick in ys.Ticks())
        {
            double y = ys.Pixel(tick);
            sb.Append("<path class=\"grid\" d=\"M").AppendCoordinate(Left).Append(' ').AppendCoordinate(y).Append('H').AppendCoordinate(Width - Right).Append("\"/>");
            sb.Append("<text class=\"tick\" x=\"").AppendCoordinate(Left - 6).Append("\" y=\"").AppendCoordinate(y + 4).Append("\" text-anchor=\"end\">").AppendEscaped(HtmlText.Number(tick)).Append("</text>\n");
        }
        sb.Append("<path class=\"axis\" d=\"M").AppendCoordinate(Left).Append(' ').AppendCoordinate(Top).Append('V').AppendCoordinate(Height - Bottom).Append('H').AppendCoordinate(Width - Right).Append("\"/>\n");
        var front = points.Where(p => p.Highlight).OrderBy(p => p.X).ToList();
        if (front.Count > 1)
        {
            sb.Append("<path class=\"front\" d=\"");
            for (int i = 0; i < front.Count; i++)
                sb.Append(i == 0 ? 'M' : 'L').AppendCoordinate(xs.Pixel(front[i].X)).Append(' ').AppendCoordinate(ys.Pixel(front[i].Y));
            sb.Append("\"/>\n");
        }
        foreach (var p in points)
        {
            sb.Append("<circle class=\"").Append(p.Highlight ? "point highlight" : "point").Append("\" cx=\"").AppendCoordinate(xs.Pixel(p.X)).Append("\" cy=\"").AppendCoordinate(ys.Pixel(p.Y))
              .Append("\" r=\"").Append(p.Highlight ? '6' : '4').Append("\"><title>").AppendEscaped(p.Label).Append(": ").AppendEscaped(HtmlText.Number(p.X)).Append(", ").AppendEscaped(HtmlText.Number(p.Y))
              .Append("</title></circle>\n");
        }
        sb.Append("<text class=\"axis-label\" x=\"").AppendCoordinate((Left + Width - Right) / 2).Append("\" y=\"").AppendCoordinate(Height - 16).Append("\" text-anchor=\"middle\">").AppendEscaped(chart.XLabel).Append("</text>");
        sb.Append("<text class=\"axis-label\" transform=\"rotate(-90)\" x=\"").AppendCoordinate(-(Top + Height - Bottom) / 2).Append("\" y=\"18\" text-anchor=\"middle\">").AppendEscaped(chart.YLabel).Append("</text>\n</svg>\n");
    }
}
