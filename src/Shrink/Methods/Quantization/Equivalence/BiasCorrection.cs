using System.Diagnostics;
using System.Globalization;
using Shrink.Layers;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;
using Shrink.Statistics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// Bias correction (Nagel et al. 2019): weight quantization shifts each output channel's mean by
/// E[(Ŵ − W)x] = (Ŵ − W)·E[x], which the following layers do not expect; subtracting it from the layer's bias removes it.
/// Ŵ is the weight the quantization that follows will write (<see cref="EquivalenceContext.RoundWeight"/>); E[x] per input
/// channel comes from calibration data (empirical: for a Conv, the mean over batch and positions, which ignores that
/// zero padding lowers the mean at the borders) or from the preceding BatchNormalization (analytic, data-free,
/// <see cref="BatchNormInputMeans"/>). It changes the float function on purpose.
/// </summary>
[Registered("bias-correction", "subtracts the mean output shift weight quantization causes from each layer's bias (empirical from data, or analytic from BatchNormalization statistics)")]
public sealed class BiasCorrection : IEquivalenceTransform
{
    /// <inheritdoc />
    public bool NeedsData(EquivalenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.BiasCorrection != BiasCorrectionKind.Analytic;
    }

    /// <inheritdoc />
    public EquivalenceResult Apply(OnnxModel model, EquivalenceContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        var clock = Stopwatch.StartNew();
        var graph = model.Graph;
        bool analytic = context.Options.BiasCorrection == BiasCorrectionKind.Analytic;
        var round = context.RoundWeight ?? throw new ShrinkException($"{context.Source}: bias correction needs the quantizer's weight rounding (EquivalenceContext.RoundWeight); this quantization does not give it.");
        var rows = new List<EquivalenceLayer>();
        var (layers, left) = WeightLayer.SelectAll(graph);
        foreach (var (name, _, why) in left) rows.Add(Skip(name, "", why));

        // Decide on the unchanged graph: the quantized weights and the input means, then edit the biases.
        var work = new List<(WeightLayer Layer, LayerChannels Channels, float[] Delta)>();
        foreach (var layer in layers)
        {
            if (context.FloatNodes.Contains(layer.Node.Name))
            {
                rows.Add(Skip(layer.Name, layer.Node.Outputs[0], "inserted by an earlier transform to stay in float"));
                continue;
            }
            var w = layer.ReadMatrix(graph);
            var q = round(layer, w);
            if (q is null)
            {
                rows.Add(Skip(layer.Name, layer.Node.Outputs[0], "the quantization leaves it in float"));
                continue;
            }
            var delta = new float[w.Length];
            for (int i = 0; i < w.Length; i++) delta[i] = q[i] - w[i];
            work.Add((layer, LayerChannels.Of(layer), delta));
        }

        var means = new Dictionary<WeightLayer, double[]>();
        if (analytic)
        {
            foreach (var (layer, channels, _) in work)
            {
                if (BatchNormInputMeans.Of(graph, context.Original, layer.Input, channels.InputChannels, out var reason) is { } m) means[layer] = m;
                else rows.Add(Skip(layer.Name, layer.Node.Outputs[0], reason));
            }
        }
        else if (work.Count > 0)
        {
            if (context.Data is null) throw new ShrinkException($"{context.Source}: empirical bias correction needs calibration data (--data PATH).");
            var inputs = new Dictionary<string, (bool, int)>(StringComparer.Ordinal);
            foreach (var (layer, channels, _) in work) inputs[layer.Input] = (layer.Schema.Layer == LayerKind.Convolution, channels.InputChannels);
            var request = new ChannelMeansRequest(inputs);
            StatisticsRunner.Run(new StatisticsTap(model, ComputeOnlyRequested: true), [request], context.Data, new StatisticsRunOptions
            {
                Samples = context.Samples,
                BatchSize = context.BatchSize,
                MemoryBudgetBytes = context.MemoryBudgetBytes,
                Progress = context.Progress,
                Stage = "bias correction",
            });
            foreach (var (layer, _, _) in work) means[layer] = request.Means(layer.Input);
        }

        int corrected = 0;
        foreach (var (layer, channels, delta) in work)
        {
            if (!means.TryGetValue(layer, out var mean)) continue;
            string output = layer.Node.Outputs[0];
            var shift = Shift(delta, channels, mean);
            double max = shift.Max(Math.Abs), average = shift.Average(Math.Abs);
            var correction = shift.Select(s => -s).ToArray();
            if (!LayerBias.TryAdd(graph, layer, correction, out var how))
            {
                rows.Add(Skip(layer.Name, output, how));
                continue;
            }
            corrected++;
            rows.Add(new EquivalenceLayer(layer.Name, output, max, double.NaN, double.NaN, double.NaN,
                $"{(analytic ? "analytic" : "empirical")}: max |shift| {F(max)}, mean |shift| {F(average)}; {how}"));
        }
        graph.SortTopologically();
        var notes = new List<string>
        {
            "Bias correction: max |x| before is the largest mean output shift (E[(Ŵ − W)x], per output channel) subtracted from the layer's bias.",
            $"{corrected} layer(s) corrected, {(analytic ? "analytic (BatchNormalization statistics, ReLU/ReLU6 as a clipped normal)" : $"empirical (input means over {context.Samples} samples at most; Conv means ignore zero padding)")}.",
        };
        return new EquivalenceResult { Name = "bias-correction", Layers = rows, Notes = notes, Seconds = clock.Elapsed.TotalSeconds };
    }

    /// <summary>(Ŵ − W)·E[x] per output channel, E[x] given per input channel.</summary>
    public static double[] Shift(float[] delta, LayerChannels channels, double[] inputMeans)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(inputMeans);
        var shift = new double[channels.Rows];
        for (int r = 0; r < channels.Rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < channels.Cols; c++) sum += delta[r * channels.Cols + c] * inputMeans[channels.InputChannel(r, c)];
            shift[r] = sum;
        }
        return shift;
    }

    private static EquivalenceLayer Skip(string node, string tensor, string reason) => new(node, tensor, double.NaN, double.NaN, double.NaN, double.NaN, "", reason);

    private static string F(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
}
