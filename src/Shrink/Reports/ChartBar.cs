namespace Shrink.Reports;

/// <summary>One bar of a <see cref="BarChart"/>: a label (a layer, a model) and its value.</summary>
public sealed record ChartBar(string Label, double Value);
