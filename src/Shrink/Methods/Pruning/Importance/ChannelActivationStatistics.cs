using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// Per-channel mean |a| and mean a² of chosen values on calibration data. The model runs in ONNX Runtime with the values
/// exposed as extra outputs, batch by batch; only the per-channel sums are kept.
/// </summary>
public sealed class ChannelActivationStatistics
{
    private readonly Dictionary<string, double[]> _meanAbs;
    private readonly Dictionary<string, double[]> _meanSquare;

    private ChannelActivationStatistics(Dictionary<string, double[]> meanAbs, Dictionary<string, double[]> meanSquare)
    {
        _meanAbs = meanAbs;
        _meanSquare = meanSquare;
    }

    /// <summary>Mean |a| per channel of <paramref name="value"/> (channels of its whole layout, before Block expansion).</summary>
    public IReadOnlyList<double> MeanAbs(string value) => _meanAbs[value];

    /// <summary>Mean a² per channel of <paramref name="value"/>.</summary>
    public IReadOnlyList<double> MeanSquare(string value) => _meanSquare[value];

    /// <summary>The values whose statistics describe <paramref name="group"/>, with the group's offset in each: the consumers' inputs, or the producers' outputs.</summary>
    public static IReadOnlyList<(string Value, int Offset)> ValuesOf(ChannelGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var values = group.Consumers.Select(c => (c.Input, c.Offset)).Distinct().ToList();
        if (values.Count == 0) values = group.Producers.Select(p => (p.Output, 0)).Distinct().ToList();
        return values;
    }

    /// <summary>Collects the statistics of <paramref name="values"/> (each with its channel layout) over up to <paramref name="samples"/> samples.</summary>
    /// <remarks><paramref name="shapes"/> are the values' measured shapes (any batch size): they give the extent after the channel axis.</remarks>
    public static ChannelActivationStatistics Collect(OnnxModel model, IReadOnlyDictionary<string, ChannelLayout> values,
        IReadOnlyDictionary<string, long[]> shapes, IDataSource data, long samples, int batchSize, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(data);
        var augmented = model.Clone();
        var existing = new HashSet<string>(augmented.Proto.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var v in values.Keys)
            if (existing.Add(v)) augmented.Proto.Graph.Output.Add(new ValueInfoProto { Name = v });
        var names = values.Keys.ToArray();
        var sumAbs = names.ToDictionary(n => n, n => new double[values[n].Channels], StringComparer.Ordinal);
        var sumSquare = names.ToDictionary(n => n, n => new double[values[n].Channels], StringComparer.Ordinal);
        var counts = names.ToDictionary(n => n, _ => 0L, StringComparer.Ordinal);
        using var session = ModelSession.Open(OnnxModel.FromProto(augmented.Proto, model.Name), new RuntimeOptions { Optimize = false });
        long seen = 0;
        foreach (var batch in data.ReadBatches(batchSize, samples))
        {
            using var prepared = session.Prepare(batch);
            session.RunVisit(prepared, names, (name, span) =>
            {
                var layout = values[name];
                long inner = 1;
                for (int i = layout.Axis + 1; i < shapes[name].Length; i++) inner *= shapes[name][i];
                long perChannel = Accumulate(span, layout, inner, sumAbs[name], sumSquare[name]);
                counts[name] += perChannel;
            });
            seen += batch.Count;
            progress?.Report(new ProgressInfo("activation statistics", seen, data.Count is long c ? Math.Min(c, samples) : samples));
        }
        if (seen == 0) throw new ShrinkException($"{data.Description}: empty calibration data set.");
        foreach (var n in names)
        {
            double count = Math.Max(1, counts[n]);
            for (int c = 0; c < sumAbs[n].Length; c++)
            {
                sumAbs[n][c] /= count;
                sumSquare[n][c] /= count;
            }
        }
        return new ChannelActivationStatistics(sumAbs, sumSquare);
    }

    /// <summary>Adds one batch; returns the number of elements each channel received.</summary>
    private static long Accumulate(ReadOnlySpan<float> values, ChannelLayout layout, long inner, double[] sumAbs, double[] sumSquare)
    {
        int channels = layout.Channels;
        long axisLength = channels * layout.Block;
        long total = values.Length;
        long outer = total / (axisLength * inner);
        long index = 0;
        for (long o = 0; o < outer; o++)
        {
            for (long a = 0; a < axisLength; a++)
            {
                int c = (int)(a / layout.Block);
                double abs = 0, square = 0;
                for (long i = 0; i < inner; i++, index++)
                {
                    double v = values[(int)index];
                    abs += Math.Abs(v);
                    square += v * v;
                }
                sumAbs[c] += abs;
                sumSquare[c] += square;
            }
        }
        return total / channels;
    }
}
