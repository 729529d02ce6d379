using System.Text;
using System.Text.Json;

namespace Shrink.Reports;

/// <summary>A <see cref="Report"/> as JSON: the title, each section's table (headers, rows) and notes, the plots' data and the recipe.</summary>
public static class ReportJson
{
    /// <summary>The report as indented JSON (snake_case keys, like the commands' <c>--json</c>).</summary>
    public static string Serialize(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("title", report.Title);
            w.WriteStartArray("sections");
            foreach (var s in report.Sections) WriteSection(w, s);
            w.WriteEndArray();
            w.WriteStartArray("charts");
            foreach (var c in report.Charts) WriteChart(w, c);
            w.WriteEndArray();
            if (report.Recipe is not null)
            {
                w.WritePropertyName("recipe");
                using var recipe = JsonDocument.Parse(report.Recipe);
                recipe.WriteTo(w);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteSection(Utf8JsonWriter w, ReportSection s)
    {
        w.WriteStartObject();
        w.WriteString("title", s.Title);
        w.WriteStartArray("headers");
        foreach (var h in s.Table.Headers) w.WriteStringValue(h);
        w.WriteEndArray();
        w.WriteStartArray("rows");
        foreach (var row in s.Table.Rows)
        {
            w.WriteStartArray();
            foreach (var cell in row) w.WriteStringValue(cell);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteStartArray("notes");
        foreach (var n in s.Notes ?? []) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteChart(Utf8JsonWriter w, ReportChart chart)
    {
        w.WriteStartObject();
        w.WriteString("title", chart.Title);
        switch (chart)
        {
            case BarChart bar:
                w.WriteString("kind", "bar");
                w.WriteString("value_label", bar.ValueLabel);
                w.WriteStartArray("bars");
                foreach (var b in bar.Bars)
                {
                    w.WriteStartObject();
                    w.WriteString("label", b.Label);
                    WriteNumber(w, "value", b.Value);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case ScatterChart scatter:
                w.WriteString("kind", "scatter");
                w.WriteString("x_label", scatter.XLabel);
                w.WriteString("y_label", scatter.YLabel);
                w.WriteStartArray("points");
                foreach (var p in scatter.Points)
                {
                    w.WriteStartObject();
                    w.WriteString("label", p.Label);
                    WriteNumber(w, "x", p.X);
                    WriteNumber(w, "y", p.Y);
                    w.WriteBoolean("highlight", p.Highlight);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
        }
        w.WriteEndObject();
    }

    // JSON has no infinities or NaN: those are written as strings ("Infinity"), as the commands' --json does.
    private static void WriteNumber(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteString(name, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
