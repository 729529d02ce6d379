using Shrink.Cli.Terminal;
using Shrink.Reports;

namespace Shrink.Tests.Cli.Terminal;

public class ConsoleOutputTests
{
    private static ReportSection WideSection()
    {
        string[] headers = [.. Enumerable.Range(1, 12).Select(i => $"column {i}")];
        var table = new MarkdownTable(headers);
        table.Add([.. Enumerable.Range(1, 12).Select(i => $"{i * 1_234_567.891:N3}")]);
        return new ReportSection("Wide", table, ["a note longer than eighty columns, " + string.Concat(Enumerable.Repeat("which goes on and on, ", 5)) + "ends here"]);
    }

    [Fact]
    public void Redirected_tables_keep_each_row_on_one_line_and_numbers_whole()
    {
        var output = new StringWriter();
        ConsoleOutput.Write(ConsoleOutput.ForWriter(output, redirected: true), WideSection());
        string[] lines = output.ToString().Split(Environment.NewLine);
        string row = Assert.Single(lines, l => l.Contains("1,234,567.891", StringComparison.Ordinal));
        for (int i = 1; i <= 12; i++) Assert.Contains($"{i * 1_234_567.891:N3}", row, StringComparison.Ordinal);
        Assert.True(row.Length > 80, "the table is wider than the 80 columns Spectre assumes when output is redirected");
        Assert.True(lines.Count(l => l.Contains("a note longer", StringComparison.Ordinal) && l.Contains("ends here", StringComparison.Ordinal)) == 1, output.ToString());
    }

    [Fact]
    public void Without_the_fix_the_same_table_wraps_at_80_columns()
    {
        // The check above can fail: a console left at Spectre's redirected default breaks the numbers over lines.
        var output = new StringWriter();
        ConsoleOutput.Write(ConsoleOutput.ForWriter(output, redirected: false), WideSection());
        Assert.DoesNotContain(output.ToString().Split(Environment.NewLine), l => l.Contains("12,345,678.910", StringComparison.Ordinal) && l.Contains("1,234,567.891", StringComparison.Ordinal));
    }
}
