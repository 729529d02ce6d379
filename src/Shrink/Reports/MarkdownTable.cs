using System.Text;

namespace Shrink.Reports;

/// <summary>A Markdown table built row by row; cells are escaped so a '|' in a name cannot break it.</summary>
public sealed class MarkdownTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    /// <summary>Creates a table with the given column headers.</summary>
    public MarkdownTable(params string[] headers) => _headers = headers;

    /// <summary>The column headers.</summary>
    public IReadOnlyList<string> Headers => _headers;

    /// <summary>The rows added so far.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Rows => _rows;

    /// <summary>Adds a row; it must have one cell per header.</summary>
    public MarkdownTable Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
            throw new ArgumentException($"A row needs {_headers.Length} cells, got {cells.Length}.");
        _rows.Add(cells);
        return this;
    }

    /// <summary>The table as Markdown.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", _headers.Select(Escape)).AppendLine(" |");
        sb.Append('|').AppendJoin("|", _headers.Select(_ => "---")).AppendLine("|");
        foreach (var row in _rows)
            sb.Append("| ").AppendJoin(" | ", row.Select(Escape)).AppendLine(" |");
        return sb.ToString();
    }

    private static string Escape(string cell) => cell.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
