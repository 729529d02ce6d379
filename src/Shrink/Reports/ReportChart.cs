namespace Shrink.Reports;

/// <summary>A plot of a report (a bar chart or a scatter plot), rendered as inline SVG in the HTML page and as data in JSON.</summary>
public abstract record ReportChart(string Title);
