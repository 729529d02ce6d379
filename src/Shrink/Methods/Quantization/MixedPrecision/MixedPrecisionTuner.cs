using Shrink.Numerics;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// Finds the smallest mixed-precision model whose measured metric drop stays within a limit: a ladder of size budgets
/// from every layer at the lowest width to every layer at the highest, the ILP allocation at each, and a bisection over
/// the ladder (the metric is assumed to grow with the budget), starting from the top rung. Allocations already measured
/// are not measured again.
/// </summary>
public sealed class MixedPrecisionTuner(MixedPrecisionPlanner planner, int rungs = 24)
{
    /// <summary>
    /// Tunes. <paramref name="measure"/> quantizes with the given widths and returns the metric (higher is better, a
    /// fraction); <paramref name="reference"/> is the float model's. Stops after <paramref name="maxTrials"/> measurements.
    /// </summary>
    public TuningResult Tune(Func<IReadOnlyDictionary<string, int>, double> measure, double reference, double maxDropPoints, int maxTrials, IProgress<ProgressInfo>? progress = null) =>
        Tune(measure, reference, new MetricLimit(LowerIsBetter: false, maxDropPoints), maxTrials, progress);

    /// <summary>
    /// Tunes against <paramref name="limit"/>: a drop in points for a metric where higher is better, a relative increase
    /// in percent for one where lower is better (perplexity; the metric is then assumed to fall as the budget grows).
    /// </summary>
    public TuningResult Tune(Func<IReadOnlyDictionary<string, int>, double> measure, double reference, MetricLimit limit, int maxTrials, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(measure);
        return Tune(bits => new TrialOutcome(measure(bits), null), reference, limit, maxTrials, progress);
    }

    /// <summary>
    /// Tunes with trials that write their model: <paramref name="measure"/> returns the metric and the written file's
    /// size, and the chosen trial is the smallest file within the limit (the planner's sizes leave out the per-layer
    /// graph overhead, so two allocations can swap places once written).
    /// </summary>
    public TuningResult Tune(Func<IReadOnlyDictionary<string, int>, TrialOutcome> measure, double reference, MetricLimit limit, int maxTrials, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(measure);
        ArgumentNullException.ThrowIfNull(limit);
        if (limit.LowerIsBetter && !(reference > 0))
            throw new ShrinkException($"The float model's value of a lower-is-better metric is {reference}; a relative increase needs a positive one.");
        var problem = planner.SizeProblem();
        long fixedBytes = planner.Sizes.FixedBytes;
        long low = fixedBytes + BitAllocator.MinimumResource(problem);
        long high = fixedBytes + problem.Sum(l => l.Resource.Values.Max());
        var ladder = Enumerable.Range(0, rungs).Select(i => (long)Math.Round(low * Math.Pow((double)high / low, i / (double)(rungs - 1)))).Distinct().ToList();
        ladder[^1] = high;
        var trials = new List<TuningTrial>();
        var seen = new Dictionary<string, TuningTrial>(StringComparer.Ordinal);
        TuningTrial? Try(int rung)
        {
            var allocation = BitAllocator.Solve(problem, ladder[rung] - fixedBytes);
            if (allocation is null) return null;
            string key = string.Join(",", allocation.Bits.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => b.Value));
            if (seen.TryGetValue(key, out var known)) return known with { BudgetBytes = ladder[rung] };
            if (trials.Count >= maxTrials) return null;
            var outcome = measure(allocation.Bits);
            double loss = limit.Loss(reference, outcome.Metric);
            var trial = new TuningTrial(trials.Count + 1, ladder[rung], allocation.Bits, planner.Sizes.TotalBytes(allocation.Bits), outcome.Metric, loss, loss <= limit.Max + 1e-9, outcome.FileBytes);
            trials.Add(trial);
            seen[key] = trial;
            progress?.Report(new ProgressInfo("trials", trials.Count, maxTrials));
            return trial;
        }
        int lo = -1, hi = ladder.Count - 1;
        var top = Try(hi);
        TuningTrial? best = top is { WithinLimit: true } ? top : null;
        if (best is not null)
        {
            while (hi - lo > 1)
            {
                int mid = (lo + hi) / 2;
                var t = Try(mid);
                if (t is null) break;
                if (t.WithinLimit)
                {
                    hi = mid;
                    if (t.Bytes <= best.Bytes) best = t;
                }
                else
                {
                    lo = mid;
                }
            }
        }
        return new TuningResult(trials, best, reference, limit.Max, ladder, limit.LowerIsBetter);
    }
}
