using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Reports;

namespace Shrink.Tests.Reports;

/// <summary>The report model renders exactly the Markdown of the per-result renderers, and carries the plots.</summary>
public class ReportModelTests
{
    [Fact]
    public void Quantization_report_model_renders_the_same_markdown_and_plots_each_analysed_layer()
    {
        var r = ReportFixtures.Static();
        var report = QuantizationReport.Build(r, "in.onnx", "out.onnx", 5000, 2000);
        Assert.Equal(QuantizationReport.ToMarkdown(r, "in.onnx", "out.onnx", 5000, 2000), report.ToMarkdown());
        Assert.NotEmpty(r.Layers);
        var chart = Assert.IsType<BarChart>(Assert.Single(report.Charts));
        Assert.Equal(r.Layers.Select(l => l.Node), chart.Bars.Select(b => b.Label));
    }

    [Fact]
    public void Weight_only_report_model_renders_the_same_markdown_and_plots_the_per_layer_error()
    {
        var r = ReportFixtures.WeightOnly();
        var report = WeightOnlyReport.Build(r, "in.onnx", "out.onnx", 5000, 2000);
        Assert.Equal(WeightOnlyReport.ToMarkdown(r, "in.onnx", "out.onnx", 5000, 2000), report.ToMarkdown());
        var chart = Assert.IsType<BarChart>(Assert.Single(report.Charts));
        Assert.Equal(2, chart.Bars.Count);
        Assert.All(chart.Bars, b => Assert.True(b.Value > 0));
    }

    [Fact]
    public void Sparsity_report_model_renders_the_same_markdown_and_plots_rates_and_errors()
    {
        var r = ReportFixtures.Sparsity();
        var report = SparsityReport.Build(r, "in.onnx", "out.onnx");
        Assert.Equal(SparsityReport.ToMarkdown(r, "in.onnx", "out.onnx"), report.ToMarkdown());
        Assert.Equal(2, report.Charts.Count);
        var rates = Assert.IsType<BarChart>(report.Charts[0]);
        Assert.Equal(r.Layers.Select(l => l.Sparsity), rates.Bars.Select(b => b.Value));
    }

    [Fact]
    public void Channel_pruning_report_model_renders_the_same_markdown_and_plots_the_kept_fraction()
    {
        var r = ReportFixtures.Channels();
        var report = ChannelPruningReport.Build(r, "in.onnx", "out.onnx", 5000, 2000);
        Assert.Equal(ChannelPruningReport.ToMarkdown(r, "in.onnx", "out.onnx", 5000, 2000), report.ToMarkdown());
        var kept = Assert.IsType<BarChart>(Assert.Single(report.Charts));
        var group = Assert.Single(r.Groups);
        Assert.Equal((double)group.Kept / group.Channels, Assert.Single(kept.Bars).Value);
        Assert.True(group.Kept < group.Channels);
    }

    [Fact]
    public void A_recipe_is_appended_to_the_markdown_as_a_json_block_after_the_unchanged_report()
    {
        var report = ReportFixtures.Synthetic();
        string markdown = report.ToMarkdown();
        Assert.StartsWith((report with { Recipe = null }).ToMarkdown(), markdown, StringComparison.Ordinal);
        Assert.Contains("## Recipe", markdown, StringComparison.Ordinal);
        Assert.Contains("```json" + Environment.NewLine + report.Recipe, markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Combining_steps_prefixes_each_section_and_chart_with_its_step()
    {
        var one = ReportFixtures.Synthetic();
        var combined = Report.Combine("two steps", [one, one with { Title = "other" }], "{}");
        Assert.Equal(["Step 1: Summary", "Step 2: Summary"], combined.Sections.Select(s => s.Title));
        Assert.Equal(4, combined.Charts.Count);
        Assert.Equal("Step 2: Accuracy vs size", combined.Charts[3].Title);
        Assert.Equal("{}", combined.Recipe);
    }

    [Fact]
    public void The_tuning_plot_has_the_float_model_and_every_trial_with_the_acceptable_ones_highlighted()
    {
        var bits = new Dictionary<string, int>();
        var trials = new[] { new TuningTrial(1, 1000, bits, 900_000, 0.80, 5, false), new TuningTrial(2, 2000, bits, 1_800_000, 0.84, 1, true) };
        var chart = TuningReport.Chart(new TuningResult(trials, trials[1], 0.85, 2, [1000, 2000]), "accuracy", 4_000_000);
        Assert.Equal([(4.0, 0.85, "float", true), (0.9, 0.80, "trial 1", false), (1.8, 0.84, "trial 2 (chosen)", true)], chart.Points.Select(p => (p.X, p.Y, p.Label, p.Highlight)));
        Assert.Equal("accuracy", chart.YLabel);
    }
}
