using Shrink.Calibration;
using Shrink.Data;
using Shrink.Runtime;

namespace Shrink.Statistics;

/// <summary>
/// Runs models over calibration data once per batch and feeds every <see cref="IStatisticRequest"/>: each tap's model is
/// copied with the requested tensors exposed as outputs (the models themselves are never modified), one ONNX Runtime
/// session per tap, and every batch runs each tap once, in tap order; requests see the values batch by batch and keep
/// only what they accumulate. With a memory budget the batch size (and, when needed, a split of the primary tensors
/// into several passes over the data) is chosen from the measured bytes of one sample.
/// </summary>
public static class StatisticsRunner
{
    /// <summary>Runs <paramref name="requests"/> on one model.</summary>
    public static StatisticsRun Run(StatisticsTap tap, IReadOnlyList<IStatisticRequest> requests, IDataSource data, StatisticsRunOptions options) =>
        Run([tap], requests, data, options);

    /// <summary>Runs <paramref name="requests"/> on <paramref name="taps"/>, which all read the same batches.</summary>
    /// <exception cref="ShrinkException">Empty data when a memory plan is asked for, or a model ONNX Runtime cannot load or run.</exception>
    public static StatisticsRun Run(IReadOnlyList<StatisticsTap> taps, IReadOnlyList<IStatisticRequest> requests, IDataSource data, StatisticsRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(taps);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfZero(taps.Count);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var graphInputs = taps.Select(t => new HashSet<string>(t.Model.Graph.Inputs.Select(i => i.Name), StringComparer.Ordinal)).ToArray();
        var declared = new List<(IStatisticRequest Request, StatisticTensor Tensor)>();
        foreach (var r in requests)
            foreach (var t in r.Tensors)
            {
                if (t.Tap < 0 || t.Tap >= taps.Count)
                    throw new ArgumentException($"A request observes '{t.Name}' on tap {t.Tap}, but there are {taps.Count} tap(s).", nameof(requests));
                declared.Add((r, t));
            }
        var primary = declared.Where(d => d.Tensor.Tap == 0 && !graphInputs[0].Contains(d.Tensor.Name)).Select(d => d.Tensor.Name).Distinct(StringComparer.Ordinal).ToArray();

        ActivationBatchPlan? plan = null;
        ModelSession? planSession = null;
        int batchSize = options.BatchSize;
        IReadOnlyList<IReadOnlyList<string>> groups = [primary];
        if (options.MemoryBudgetBytes is long budget)
        {
            var one = data.ReadBatches(1, 1).FirstOrDefault() ?? throw new ShrinkException(options.EmptyDataMessage ?? $"{data.Description}: empty calibration data set.");
            (plan, planSession) = ActivationFootprint.Plan(taps[0].Model, primary, one, options.Copies, budget, options.BatchSize);
            options.Planned?.Invoke(plan);
            batchSize = plan.BatchSize;
            groups = plan.Groups;
        }
        var passOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < groups.Count; g++)
            foreach (var name in groups[g]) passOf[name] = g;
        int PassOf(StatisticTensor t) => passOf.GetValueOrDefault(t.Tap == 0 ? t.Name : t.Key ?? "", 0);

        long perPass = data.Count is long c ? Math.Min(c, options.Samples) : options.Samples;
        long total = perPass * groups.Count;
        long seen = 0;
        int steps = 0;
        try
        {
            for (int g = 0; g < groups.Count; g++)
            {
                var taken = declared.Where(d => PassOf(d.Tensor) == g).ToList();
                var sessions = new ModelSession?[taps.Count];
                try
                {
                    var fromBatch = new List<(IStatisticRequest Request, StatisticTensor Tensor)>[taps.Count];
                    var fetched = new string[taps.Count][];
                    var visitors = new Dictionary<string, List<(IStatisticRequest Request, StatisticTensor Tensor)>>[taps.Count];
                    for (int t = 0; t < taps.Count; t++)
                    {
                        var mine = taken.Where(d => d.Tensor.Tap == t).ToList();
                        fromBatch[t] = mine.Where(d => graphInputs[t].Contains(d.Tensor.Name)).ToList();
                        fetched[t] = mine.Where(d => !graphInputs[t].Contains(d.Tensor.Name)).Select(d => d.Tensor.Name).Distinct(StringComparer.Ordinal).ToArray();
                        visitors[t] = new Dictionary<string, List<(IStatisticRequest, StatisticTensor)>>(StringComparer.Ordinal);
                        foreach (var d in mine)
                        {
                            if (!visitors[t].TryGetValue(d.Tensor.Name, out var list)) visitors[t][d.Tensor.Name] = list = [];
                            list.Add(d);
                        }
                        if (t == 0 && planSession is not null)
                        {
                            sessions[0] = planSession; // measured with exactly this pass's tensors (one group)
                            planSession = null;
                        }
                        else if (fetched[t].Length > 0)
                        {
                            var model = taps[t].ComputeOnlyRequested ? taps[t].Model.WithOnlyOutputs(fetched[t]) : taps[t].Model.WithOutputs(fetched[t]);
                            sessions[t] = ModelSession.Open(model, new RuntimeOptions { Optimize = false, CpuMemoryArena = false });
                        }
                    }
                    int index = 0;
                    foreach (var batch in data.ReadBatches(batchSize, options.Samples))
                    {
                        var step = new StatisticStep(batch, g, index++);
                        foreach (var r in requests) r.BeginStep(step);
                        for (int t = 0; t < taps.Count; t++)
                        {
                            foreach (var (request, tensor) in fromBatch[t])
                            {
                                var input = batch.Inputs.FirstOrDefault(i => i.Name == tensor.Name);
                                if (input?.Data is float[] values) request.Observe(step, tensor, values, input.Shape);
                            }
                            if (sessions[t] is not { } session || fetched[t].Length == 0) continue;
                            var visit = visitors[t];
                            using var prepared = session.Prepare(batch);
                            session.RunVisit(prepared, fetched[t], (name, values, shape) =>
                            {
                                foreach (var (request, tensor) in visit[name]) request.Observe(step, tensor, values, shape);
                            });
                        }
                        foreach (var r in requests) r.EndStep(step);
                        seen += batch.Count;
                        steps++;
                        options.Progress?.Report(new ProgressInfo(options.Stage, seen, total));
                    }
                }
                finally
                {
                    foreach (var s in sessions) s?.Dispose();
                }
            }
        }
        finally
        {
            planSession?.Dispose();
        }
        return new StatisticsRun(seen, steps, groups.Count, plan);
    }
}
