using Shrink.Model;

namespace Shrink.Methods.Pruning.Importance;

/// <summary>What criteria may read: the model's weights (decoded once), calibration statistics when collected, and options.</summary>
public sealed class ImportanceContext
{
    private readonly Dictionary<string, float[]> _weights = new(StringComparer.Ordinal);

    /// <summary>Creates a context over <paramref name="graph"/>.</summary>
    public ImportanceContext(ModelGraph graph, ChannelActivationStatistics? activations = null, bool includeConsumers = false)
    {
        Graph = graph;
        Activations = activations;
        IncludeConsumers = includeConsumers;
    }

    /// <summary>The (pre-processed, unpruned) graph.</summary>
    public ModelGraph Graph { get; }

    /// <summary>Per-channel activation statistics on calibration data, when the criterion asked for them.</summary>
    public ChannelActivationStatistics? Activations { get; }

    /// <summary>Whether weight-norm criteria add the consumers' input slices to the producers' filters.</summary>
    public bool IncludeConsumers { get; }

    /// <summary>The values of initializer <paramref name="name"/> as floats (decoded once and cached).</summary>
    public float[] Weight(string name)
    {
        if (!_weights.TryGetValue(name, out var values))
        {
            var tensor = Graph.FindInitializer(name) ?? throw new InvalidOperationException($"Initializer '{name}' is missing.");
            _weights[name] = values = tensor.ToFloatArray();
        }
        return values;
    }

    /// <summary>The dims of initializer <paramref name="name"/>.</summary>
    public long[] Dims(string name) => Graph.FindInitializer(name)?.Dims.ToArray() ?? throw new InvalidOperationException($"Initializer '{name}' is missing.");

    /// <summary>
    /// Adds, for each channel c of a group, Σ |w|^<paramref name="power"/> over the weight positions
    /// (<paramref name="offset"/> + c)·<paramref name="block"/> … + <paramref name="block"/> − 1 along <paramref name="axis"/>,
    /// in each of the <paramref name="repeats"/> equal runs of the axis (a fused q,k,v projection's three).
    /// </summary>
    public void AccumulateNorms(string weight, int axis, int offset, long block, int power, Span<double> into, int repeats = 1)
    {
        var values = Weight(weight);
        var dims = Dims(weight);
        long outer = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        long inner = 1;
        for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
        long axisLength = dims[axis];
        long run = axisLength / Math.Max(1, repeats);
        for (long o = 0; o < outer; o++)
        {
            for (int r = 0; r < repeats; r++)
            {
                for (int c = 0; c < into.Length; c++)
                {
                    double sum = 0;
                    long start = (o * axisLength + r * run + (offset + c) * block) * inner;
                    long count = block * inner;
                    for (long p = 0; p < count; p++)
                    {
                        double v = values[start + p];
                        sum += power == 1 ? Math.Abs(v) : v * v;
                    }
                    into[c] += sum;
                }
            }
        }
    }
}
