using Shrink.Evaluation;
using Shrink.Statistics;

namespace Shrink.Methods.Quantization;

/// <summary>
/// Compares tensors of a quantized model (tap 1) with their float counterparts (tap 0) on the same batch, one
/// <see cref="FidelityAccumulator"/> per float tensor. The float values are copied (buffers reused from batch to batch)
/// until the quantized model's arrive; each quantized tensor is paired with its float key, so the memory plan observes
/// both in the same pass.
/// </summary>
internal sealed class FidelityRequest : IStatisticRequest
{
    private readonly string _firstOutput;
    private readonly Dictionary<string, float[]> _copies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _reference = new(StringComparer.Ordinal);

    /// <summary>
    /// Compares each float tensor of <paramref name="pairs"/> (float name → quantized-model name) whose quantized name is
    /// not a graph input of the float model; <paramref name="firstOutput"/> is compared per sample (argmax agreement).
    /// </summary>
    public FidelityRequest(IReadOnlyDictionary<string, string> pairs, ISet<string> graphInputs, string firstOutput)
    {
        _firstOutput = firstOutput;
        Accumulators = pairs.Keys.ToDictionary(k => k, _ => new FidelityAccumulator(), StringComparer.Ordinal);
        Tensors = pairs.Keys.Select(k => new StatisticTensor(0, k))
            .Concat(pairs.Where(p => !graphInputs.Contains(p.Value)).Select(p => new StatisticTensor(1, p.Value, Key: p.Key)))
            .ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <summary>One accumulator per float tensor.</summary>
    public Dictionary<string, FidelityAccumulator> Accumulators { get; }

    /// <inheritdoc />
    public void BeginStep(StatisticStep step) => _reference.Clear();

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape)
    {
        if (tensor.Tap == 0)
        {
            if (!_copies.TryGetValue(tensor.Name, out var copy) || copy.Length != values.Length) _copies[tensor.Name] = copy = new float[values.Length];
            values.CopyTo(copy);
            _reference[tensor.Name] = copy;
            return;
        }
        string key = tensor.Key!;
        int axis = key == _firstOutput ? (int)(values.Length / step.Batch.Count) : 0;
        Accumulators[key].Add(values, _reference[key], axis);
    }
}
