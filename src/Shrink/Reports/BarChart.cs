namespace Shrink.Reports;

/// <summary>Horizontal bars, one per label (per-layer error, per-layer rate, latency before and after).</summary>
/// <param name="Title">What is plotted.</param>
/// <param name="ValueLabel">The value axis, with its unit.</param>
/// <param name="Bars">The bars, top to bottom.</param>
public sealed record BarChart(string Title, string ValueLabel, IReadOnlyList<ChartBar> Bars) : ReportChart(Title);
