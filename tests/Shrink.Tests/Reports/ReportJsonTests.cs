using System.Text.Json;
using Shrink.Reports;

namespace Shrink.Tests.Reports;

public class ReportJsonTests
{
    [Fact]
    public void Json_has_the_tables_the_plot_data_and_the_recipe_as_an_object()
    {
        using var doc = JsonDocument.Parse(ReportJson.Serialize(ReportFixtures.Synthetic()));
        var root = doc.RootElement;
        Assert.Equal("Demo of `tiny.onnx`", root.GetProperty("title").GetString());
        var section = root.GetProperty("sections")[0];
        Assert.Equal(["item", "value"], section.GetProperty("headers").EnumerateArray().Select(h => h.GetString()));
        Assert.Equal("a|b", section.GetProperty("rows")[1][1].GetString());
        var bars = root.GetProperty("charts")[0];
        Assert.Equal("bar", bars.GetProperty("kind").GetString());
        Assert.Equal(0.05, bars.GetProperty("bars")[1].GetProperty("value").GetDouble());
        Assert.Equal("Infinity", bars.GetProperty("bars")[2].GetProperty("value").GetString());
        var scatter = root.GetProperty("charts")[1];
        Assert.Equal("scatter", scatter.GetProperty("kind").GetString());
        Assert.True(scatter.GetProperty("points")[0].GetProperty("highlight").GetBoolean());
        Assert.Equal("quantize", root.GetProperty("recipe").GetProperty("steps")[0].GetProperty("method").GetString());
    }
}
