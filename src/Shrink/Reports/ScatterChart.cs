namespace Shrink.Reports;

/// <summary>Points on two axes (accuracy or fidelity against size), the highlighted ones joined by a line (the Pareto front).</summary>
public sealed record ScatterChart(string Title, string XLabel, string YLabel, IReadOnlyList<ChartPoint> Points) : ReportChart(Title);
