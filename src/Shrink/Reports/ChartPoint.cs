namespace Shrink.Reports;

/// <summary>One point of a <see cref="ScatterChart"/>; <paramref name="Highlight"/> marks a chosen or Pareto-optimal point.</summary>
public sealed record ChartPoint(double X, double Y, string Label, bool Highlight = false);
