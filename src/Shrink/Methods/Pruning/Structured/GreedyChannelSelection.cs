using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Ops;
using Shrink.Runtime;
using Shrink.Statistics;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// Data-aware choice of WHICH channels a group keeps once its count is decided (ThiNet / "channel pruning" by
/// reconstruction, solved greedily rather than by LASSO): channels are removed one at a time, each time the one whose
/// removal raises the consumers' least-squares reconstruction error the least, the remaining weights being refitted
/// implicitly. For a consumer with input Gram matrix G = XᵀX (im2col columns plus a bias column, on calibration data
/// through the unpruned model) and weights W, removing the columns B of a channel raises ‖Y − XW‖² by
/// tr(W_Bᵀ·[(G⁻¹)_BB]⁻¹·W_B); after the removal G⁻¹ and W are updated in place (block downdate). The cost of a channel
/// is the sum over the group's consumers, so residual-tied groups weigh every block that reads them. Unlike an
/// independent per-channel score this sees correlated (redundant) channels. A head group is selected in whole heads: its
/// consumer, the output projection, reads dh columns per head (the consumer's block), which go out together.
/// </summary>
internal static class GreedyChannelSelection
{
    /// <summary>Consumers with more columns than this (a Gemm after a large Flatten) make the group fall back to its scores.</summary>
    public const int MaxColumns = 1200;

    private sealed class Fit(ChannelConsumer consumer, LayerShape layer, int perChannel)
    {
        public ChannelConsumer Consumer { get; } = consumer;
        public LayerShape Layer { get; } = layer;
        public int PerChannel { get; } = perChannel;
        public int Columns => Layer.InputFeatures + 1;
        public float[] Gram { get; } = new float[(layer.InputFeatures + 1) * (layer.InputFeatures + 1)];
        public long Counter { get; set; }
        public int Step { get; set; }
    }

    /// <summary>
    /// The sorted kept channel indices of every group whose count is below its size and whose consumers are all
    /// refittable (null for the others, which keep their highest-scoring channels).
    /// </summary>
    public static int[]?[] Select(OnnxModel model, ChannelDependencyGraph dependencies, IReadOnlyList<int> kept, IDataSource data,
        ChannelPruningOptions options, IProgress<ProgressInfo>? progress)
    {
        var graph = model.Graph;
        var result = new int[]?[dependencies.Groups.Count];
        var fits = new Dictionary<Model.Node, Fit?>();
        var groups = new List<(ChannelGroup Group, List<Fit> Fits)>();
        foreach (var g in dependencies.Groups)
        {
            if (!g.Prunable || kept[g.Id] >= g.Size || g.Consumers.Count == 0) continue;
            var list = new List<Fit>();
            foreach (var c in g.Consumers)
            {
                if (!fits.TryGetValue(c.Node, out var fit))
                {
                    fit = null;
                    var weight = graph.FindInitializer(c.Weight);
                    var layer = weight is null || weight.Type != ElementType.Float || c.Node.Inputs[0] != c.Input ? null : LayerShape.Of(c.Node, weight);
                    if (layer is not null && layer.InputFeatures + 1 <= MaxColumns)
                    {
                        // A conv that reads whole GroupNorm runs (Block > 1) is left to the criterion's ranking: fitting
                        // it by runs was tried on tiny_ddpm and sampled worse after the refit (docs/diffusion.md).
                        int per = c.Node.OpType == OpTypes.Conv ? (int)(weight!.Dims[2] * weight.Dims[3]) : (int)c.Block;
                        if (c.Node.OpType != OpTypes.Conv || c.Block == 1) fit = new Fit(c, layer, per);
                    }
                    fits[c.Node] = fit;
                }
                if (fit is null) { list = null; break; }
                list.Add(fit);
            }
            if (list is not null) groups.Add((g, list));
        }
        if (groups.Count == 0) return result;

        var active = groups.SelectMany(g => g.Fits).Distinct().ToList();
        Accumulate(model, active, data, options);
        int done = 0;
        foreach (var (group, list) in groups)
        {
            result[group.Id] = Eliminate(graph, group, list, kept[group.Id], options.RidgeFactor);
            progress?.Report(new ProgressInfo("greedy channel selection", ++done, groups.Count));
        }
        return result;
    }

    /// <summary>
    /// Accumulates every fit's Gram matrix over the calibration data, at a fixed row stride like the refit (each batch's
    /// layer inputs and outputs captured by one <see cref="StatisticsRunner"/> run).
    /// </summary>
    private static void Accumulate(OnnxModel model, List<Fit> fits, IDataSource data, ChannelPruningOptions options)
    {
        var tensors = fits.SelectMany(f => new[] { new StatisticTensor(0, f.Consumer.Input), new StatisticTensor(0, f.Consumer.Node.Outputs[0]) });
        float[] columns = [], targets = [];
        var captured = new CapturedTensorsRequest(tensors, (current, values) =>
        {
            var batch = current.Batch;
            foreach (var f in fits)
            {
                var x = values.TryGet(0, f.Consumer.Input, out var xv) ? xv : FromBatch(batch, f.Consumer.Input);
                var y = values.TryGet(0, f.Consumer.Node.Outputs[0], out var yv) ? yv : throw new KeyNotFoundException($"'{f.Consumer.Node.Outputs[0]}' was not computed.");
                long batchRows = f.Layer.RowCount(y.Shape);
                if (f.Step == 0)
                {
                    long total = batchRows * Math.Max(1, Math.Min(options.Samples, data.Count ?? options.Samples)) / Math.Max(1, batch.Count);
                    f.Step = (int)Math.Max(1, (total + options.ReconstructionRows - 1) / options.ReconstructionRows);
                    if (f.Step > 1 && f.Step % 2 == 0) f.Step++;
                }
                int step = f.Step;
                long first = (step - f.Counter % step) % step;
                int selected = (int)((batchRows - first + step - 1) / step);
                f.Counter += batchRows;
                if (selected <= 0) continue;
                int cols = f.Columns;
                if (columns.Length < cols * selected) columns = new float[cols * selected];
                if (targets.Length < f.Layer.OutputFeatures * selected) targets = new float[f.Layer.OutputFeatures * selected];
                f.Layer.Fill(x, y, null, first, step, selected, true, columns, targets);
                DenseMatrix.Gemm(false, true, cols, cols, selected, 1f, columns, 0, selected, columns, 0, selected, 1f, f.Gram, 0, cols);
            }
        });
        StatisticsRunner.Run(new StatisticsTap(model), [captured], data, new StatisticsRunOptions { Samples = options.Samples, BatchSize = options.BatchSize });
    }

    /// <summary>Backward elimination of one group's channels down to <paramref name="keep"/>; returns the sorted survivors.</summary>
    private static int[] Eliminate(Model.ModelGraph graph, ChannelGroup group, List<Fit> fits, int keep, double ridge)
    {
        var states = fits.Select(f => new State(f, graph, ridge)).ToArray();
        var remaining = Enumerable.Range(0, group.Size).ToList();
        while (remaining.Count > keep)
        {
            int best = -1;
            double bestCost = double.PositiveInfinity;
            foreach (int c in remaining)
            {
                double cost = 0;
                foreach (var s in states) cost += s.RemovalCost(s.Fit.Consumer.Offset + c);
                if (cost < bestCost) { bestCost = cost; best = c; }
            }
            foreach (var s in states) s.Remove(s.Fit.Consumer.Offset + best);
            remaining.Remove(best);
        }
        return remaining.ToArray();
    }

    /// <summary>One consumer's inverse regularized Gram matrix and least-squares weights over its active columns.</summary>
    private sealed class State
    {
        private readonly int _n, _m;
        private readonly double[] _inverse;
        private readonly double[] _weights;

        public State(Fit fit, Model.ModelGraph graph, double ridge)
        {
            Fit = fit;
            _n = fit.Columns;
            _m = fit.Layer.OutputFeatures;
            var weight = graph.FindInitializer(fit.Consumer.Weight)!;
            string? biasName = fit.Consumer.Node.Inputs.Count > 2 && fit.Consumer.Node.Inputs[2].Length > 0 ? fit.Consumer.Node.Inputs[2] : null;
            var bias = biasName is null ? null : graph.FindInitializer(biasName);
            var w = fit.Layer.ReadWeights(weight.ToFloatArray(), bias?.ToFloatArray(), true);
            var identity = new float[_n * _n];
            for (int i = 0; i < _n; i++) identity[i * _n + i] = 1f;
            var inverse = RidgeSolver.Solve(fit.Gram, identity, _n, _n, ridge);
            _inverse = new double[_n * _n];
            _weights = new double[_n * _m];
            if (inverse is null) return; // every cost is then zero: the group keeps its first channels
            for (int i = 0; i < _inverse.Length; i++) _inverse[i] = inverse[i];
            // The least-squares solution on this data: (G + λI)⁻¹·G·W (= W up to the ridge).
            var gw = new float[_n * _m];
            DenseMatrix.Gemm(false, false, _n, _m, _n, 1f, fit.Gram, 0, _n, w, 0, _m, 0f, gw, 0, _m);
            for (int i = 0; i < _n; i++)
                for (int k = 0; k < _n; k++)
                {
                    double p = _inverse[i * _n + k];
                    if (p == 0) continue;
                    for (int j = 0; j < _m; j++) _weights[i * _m + j] += p * gw[k * _m + j];
                }
        }

        public Fit Fit { get; }

        private int[] Block(int channel) => Enumerable.Range(channel * Fit.PerChannel, Fit.PerChannel).ToArray();

        /// <summary>The inverse of (G⁻¹)_BB, or null when it is singular (the columns are already gone or carry nothing).</summary>
        private double[]? InverseBlock(int[] b)
        {
            int k = b.Length;
            var a = new double[k * k];
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) a[i * k + j] = _inverse[b[i] * _n + b[j]];
            return InvertSymmetric(a, k);
        }

        public double RemovalCost(int channel)
        {
            var b = Block(channel);
            var inv = InverseBlock(b);
            if (inv is null) return 0;
            int k = b.Length;
            double cost = 0;
            var wb = new double[k];
            for (int j = 0; j < _m; j++)
            {
                for (int i = 0; i < k; i++) wb[i] = _weights[b[i] * _m + j];
                for (int i = 0; i < k; i++)
                {
                    double s = 0;
                    for (int l = 0; l < k; l++) s += inv[i * k + l] * wb[l];
                    cost += wb[i] * s;
                }
            }
            return cost;
        }

        public void Remove(int channel)
        {
            var b = Block(channel);
            var inv = InverseBlock(b);
            int k = b.Length;
            if (inv is not null)
            {
                // T = P_{:,B}·M (n×k); P ← P − T·P_{B,:}; W ← W − T·W_B.
                var t = new double[_n * k];
                for (int i = 0; i < _n; i++)
                    for (int l = 0; l < k; l++)
                    {
                        double s = 0;
                        for (int q = 0; q < k; q++) s += _inverse[i * _n + b[q]] * inv[q * k + l];
                        t[i * k + l] = s;
                    }
                var pb = new double[k * _n];
                var wb = new double[k * _m];
                for (int l = 0; l < k; l++)
                {
                    Array.Copy(_inverse, b[l] * _n, pb, l * _n, _n);
                    Array.Copy(_weights, b[l] * _m, wb, l * _m, _m);
                }
                for (int i = 0; i < _n; i++)
                {
                    for (int l = 0; l < k; l++)
                    {
                        double f = t[i * k + l];
                        if (f == 0) continue;
                        int prow = l * _n, irow = i * _n;
                        for (int j = 0; j < _n; j++) _inverse[irow + j] -= f * pb[prow + j];
                        int wrow = l * _m, orow = i * _m;
                        for (int j = 0; j < _m; j++) _weights[orow + j] -= f * wb[wrow + j];
                    }
                }
            }
            foreach (int i in b)
            {
                for (int j = 0; j < _n; j++) { _inverse[i * _n + j] = 0; _inverse[j * _n + i] = 0; }
                for (int j = 0; j < _m; j++) _weights[i * _m + j] = 0;
            }
        }
    }

    /// <summary>Inverse of a small symmetric positive definite matrix by Gauss-Jordan with partial pivoting; null when singular.</summary>
    private static double[]? InvertSymmetric(double[] a, int k)
    {
        var m = (double[])a.Clone();
        var inv = new double[k * k];
        for (int i = 0; i < k; i++) inv[i * k + i] = 1;
        double scale = 0;
        for (int i = 0; i < k; i++) scale = Math.Max(scale, Math.Abs(m[i * k + i]));
        if (scale <= 0) return null;
        for (int col = 0; col < k; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < k; r++) if (Math.Abs(m[r * k + col]) > Math.Abs(m[pivot * k + col])) pivot = r;
            if (Math.Abs(m[pivot * k + col]) <= 1e-12 * scale) return null;
            if (pivot != col)
                for (int j = 0; j < k; j++)
                {
                    (m[col * k + j], m[pivot * k + j]) = (m[pivot * k + j], m[col * k + j]);
                    (inv[col * k + j], inv[pivot * k + j]) = (inv[pivot * k + j], inv[col * k + j]);
                }
            double d = m[col * k + col];
            for (int j = 0; j < k; j++) { m[col * k + j] /= d; inv[col * k + j] /= d; }
            for (int r = 0; r < k; r++)
            {
                if (r == col) continue;
                double f = m[r * k + col];
                if (f == 0) continue;
                for (int j = 0; j < k; j++) { m[r * k + j] -= f * m[col * k + j]; inv[r * k + j] -= f * inv[col * k + j]; }
            }
        }
        return inv;
    }

    private static OutputTensor FromBatch(DataBatch batch, string input)
    {
        var t = batch.Inputs.First(i => i.Name == input);
        return new OutputTensor(input, t.Shape, t.Data as float[] ?? throw new ShrinkException($"Input '{input}' is not float; cannot select its channels by reconstruction."));
    }
}
