using Shrink.Runtime;

namespace Shrink.Statistics;

/// <summary>
/// Captures the requested tensors of each batch (copies, buffers reused from batch to batch) and hands them to a
/// callback once every tap has run, for statistics that need several tensors of one batch together (a layer's input
/// with its output, a pruned model's input with the reference model's output). Memory: one batch of the tensors.
/// </summary>
public sealed class CapturedTensorsRequest : IStatisticRequest
{
    private readonly Action<StatisticStep, CapturedTensorsRequest> _onStep;
    private readonly Dictionary<(int Tap, string Name), OutputTensor> _current = [];
    private readonly Dictionary<(int Tap, string Name), float[]> _buffers = [];

    /// <summary>Captures <paramref name="tensors"/>; <paramref name="onStep"/> reads them with <see cref="TryGet"/> after each batch.</summary>
    public CapturedTensorsRequest(IEnumerable<StatisticTensor> tensors, Action<StatisticStep, CapturedTensorsRequest> onStep)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(onStep);
        Tensors = tensors.Distinct().ToArray();
        _onStep = onStep;
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <summary>The current batch's values of <paramref name="name"/> on tap <paramref name="tap"/> (valid until the next batch); false when it was not a float tensor.</summary>
    public bool TryGet(int tap, string name, out OutputTensor value) => _current.TryGetValue((tap, name), out value!);

    /// <inheritdoc />
    public void BeginStep(StatisticStep step) => _current.Clear();

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var key = (tensor.Tap, tensor.Name);
        if (!_buffers.TryGetValue(key, out var copy) || copy.Length != values.Length) _buffers[key] = copy = new float[values.Length];
        values.CopyTo(copy);
        _current[key] = new OutputTensor(tensor.Name, shape, copy);
    }

    /// <inheritdoc />
    public void EndStep(StatisticStep step) => _onStep(step, this);
}
