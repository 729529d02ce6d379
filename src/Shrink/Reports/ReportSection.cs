namespace Shrink.Reports;

/// <summary>A titled table with optional notes; the CLI prints it, reports write it as Markdown.</summary>
public sealed record ReportSection(string Title, MarkdownTable Table, IReadOnlyList<string>? Notes = null);
