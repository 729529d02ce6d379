using Shrink.Statistics;

namespace Shrink.Measures;

/// <summary>
/// Accumulates XᵀX of each layer's input into its <see cref="LayerHessian"/> (several layers reading one value share it).
/// With a float model tapped before the model (tap <c>floatTap</c>), each layer's input is also read from the float model
/// on the same batch and the pair accumulates <see cref="LayerHessian.Cross"/>; inputs that are graph inputs are the same
/// in both and skip it.
/// </summary>
internal sealed class HessianRequest : IStatisticRequest
{
    private readonly Dictionary<string, List<LayerHessian>> _byInput;
    private readonly int _modelTap;
    private readonly int? _floatTap;
    private readonly Dictionary<string, float[]> _floatValues = new(StringComparer.Ordinal);

    /// <summary>
    /// Observes every layer input on tap <paramref name="modelTap"/>, and the <paramref name="floatOutputs"/> (the inputs
    /// that are not graph inputs) on tap <paramref name="floatTap"/> when given.
    /// </summary>
    public HessianRequest(Dictionary<string, List<LayerHessian>> byInput, int modelTap, int? floatTap, IReadOnlyList<string> floatOutputs)
    {
        _byInput = byInput;
        _modelTap = modelTap;
        _floatTap = floatTap;
        var tensors = new List<StatisticTensor>();
        if (floatTap is int f) tensors.AddRange(floatOutputs.Select(n => new StatisticTensor(f, n)));
        tensors.AddRange(byInput.Keys.Select(n => new StatisticTensor(modelTap, n)));
        Tensors = tensors;
    }

    /// <inheritdoc />
    public IReadOnlyList<StatisticTensor> Tensors { get; }

    /// <inheritdoc />
    public void Observe(StatisticStep step, StatisticTensor tensor, ReadOnlySpan<float> values, long[] shape)
    {
        if (tensor.Tap == _floatTap && tensor.Tap != _modelTap)
        {
            // Reused from batch to batch (the last batch may be shorter).
            if (!_floatValues.TryGetValue(tensor.Name, out var copy) || copy.Length != values.Length) _floatValues[tensor.Name] = copy = new float[values.Length];
            values.CopyTo(copy);
            return;
        }
        var reference = _floatValues.GetValueOrDefault(tensor.Name);
        foreach (var h in _byInput[tensor.Name]) h.Add(values, shape, reference);
    }
}
