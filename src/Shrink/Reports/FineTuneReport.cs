using System.Globalization;
using Shrink.Training;

namespace Shrink.Reports;

/// <summary>The table of a fine-tuning run (one row per epoch: loss, throughput, metric) and a chart of the loss by epoch.</summary>
public static class FineTuneReport
{
    /// <summary>The epoch table with the run's settings in its notes.</summary>
    public static ReportSection Section(FineTuneResult result, FineTuneOptions options, string title = "Fine-tuning")
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        static string F(double v, string format) => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);
        var table = new MarkdownTable("epoch", "mean loss", "samples", "steps", "samples/s", "seconds", "metric");
        if (result.InitialMetric is double m0) table.Add("before", "–", "–", "–", "–", "–", F(m0, "F4"));
        foreach (var e in result.Epochs)
            table.Add(e.Epoch.ToString(CultureInfo.InvariantCulture), F(e.MeanLoss, "F4"), e.Samples.ToString("N0", CultureInfo.InvariantCulture),
                e.Steps.ToString(CultureInfo.InvariantCulture), F(e.Samples / Math.Max(e.Seconds, 1e-9), "F0"), F(e.Seconds, "F1"), e.Metric is double m ? F(m, "F4") : "–");
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"Loss: {result.Loss}. {result.Parameters.Count} parameters trained; optimizer {options.Optimizer}, learning rate {result.LearningRate:G3}{(result.LearningRateChosen ? " (default: 1 % of the weights' median RMS)" : "")} ({options.Schedule} schedule")
                + string.Create(CultureInfo.InvariantCulture, $"{(result.WarmupSteps > 0 ? $", {result.WarmupSteps} warm-up steps" : "")}), batch {options.BatchSize}, weight decay {options.WeightDecay}, seed {options.Seed}, {options.IntraOpThreads} ORT thread(s)."),
            string.Create(CultureInfo.InvariantCulture, $"{result.Seconds:F1} s in all; {result.SamplesPerSecond:F0} training samples/s (forward, backward and update)."),
        };
        if (result.Metric is not null)
            notes.Add($"metric: {result.Metric} on the evaluation data before training and after each epoch ({(result.MetricLowerIsBetter ? "lower" : "higher")} is better); the result is the best of them (epoch {result.BestEpoch}{(result.BestEpoch == 0 ? ": untrained" : "")}).");
        notes.AddRange(result.Notes);
        return new ReportSection(title, table, notes);
    }

    /// <summary>The mean training loss by epoch.</summary>
    public static ReportChart LossChart(FineTuneResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new ScatterChart("Training loss by epoch", "epoch", "mean loss",
            [.. result.Epochs.Where(e => double.IsFinite(e.MeanLoss)).Select(e => new ChartPoint(e.Epoch, e.MeanLoss, $"epoch {e.Epoch}", Highlight: true))]);
    }
}
