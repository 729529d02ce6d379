using System.Numerics.Tensors;
using Shrink.Methods.Pruning.Dependency;
using Shrink.Registration;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>
/// <c>fpgm</c>: filter pruning via geometric median (He et al., "Filter Pruning via Geometric Median for Deep
/// Convolutional Neural Networks Acceleration", CVPR 2019). A channel's score is the sum of Euclidean distances from its
/// filter to the filters of the group's other channels: the channels nearest the geometric median of the layer's
/// filters score lowest, since the others can best stand in for them, whatever their norm. A channel's filter is its
/// slices of all the group's producers (and of the consumers' inputs when <see cref="ImportanceContext.IncludeConsumers"/>
/// is set), concatenated. Data-free; the cost is quadratic in the group's channels.
/// </summary>
[Registered("fpgm", "distance of the channel's filters to the others' (geometric median, FPGM)", Order = 5)]
public sealed class GeometricMedianImportance : IChannelImportance
{
    /// <inheritdoc />
    public string Name => "fpgm";

    /// <inheritdoc />
    public bool NeedsData => false;

    /// <inheritdoc />
    public double[] Score(ChannelGroup group, ImportanceContext context)
    {
        int n = group.Size;
        // Squared distances between channel filters, upper triangle of an n × n matrix.
        var squared = new double[(long)n * n];
        foreach (var p in group.Producers) AddSquaredDistances(context, p.Weight, p.Axis, 0, p.Block, p.Repeats, n, squared);
        if (context.IncludeConsumers)
            foreach (var c in group.Consumers) AddSquaredDistances(context, c.Weight, c.Axis, c.Offset, c.Block, 1, n, squared);
        var scores = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double d = Math.Sqrt(Math.Max(squared[(long)i * n + j], 0));
                scores[i] += d;
                scores[j] += d;
            }
        }
        return scores;
    }

    // For each run along the axis (outer index × repeat), channel c's slice is contiguous: block·inner values.
    private static void AddSquaredDistances(ImportanceContext context, string weight, int axis, int offset, long block, int repeats, int n, double[] squared)
    {
        var values = context.Weight(weight);
        var dims = context.Dims(weight);
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        long inner = 1;
        for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
        long axisLength = dims[axis];
        long run = axisLength / Math.Max(1, repeats);
        int length = checked((int)(block * inner));
        for (long o = 0; o < outer; o++)
        {
            for (int r = 0; r < repeats; r++)
            {
                long first = (o * axisLength + r * run + offset * block) * inner;
                for (int i = 0; i < n; i++)
                {
                    var a = values.AsSpan(checked((int)(first + (long)i * length)), length);
                    for (int j = i + 1; j < n; j++)
                    {
                        var b = values.AsSpan(checked((int)(first + (long)j * length)), length);
                        float distance = TensorPrimitives.Distance(a, b);
                        squared[(long)i * n + j] += (double)distance * distance;
                    }
                }
            }
        }
    }
}
