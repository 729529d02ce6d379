using Shrink.Data;
using Shrink.Layers;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Measures;

/// <summary>
/// One ONNX Runtime session over a copy of the model in which one layer's weight is a graph input instead of an
/// initializer, so the calibration loss at any weight (perturbed, quantized) is one pass over the data, without a new
/// session per trial.
/// </summary>
public sealed class WeightInputSession : IDisposable
{
    private readonly ModelSession _session;
    private readonly IReadOnlyList<DataBatch> _batches;
    private readonly CalibrationLoss _loss;
    private readonly string[] _outputs;
    private readonly long _samples;

    /// <summary>Opens the session for <paramref name="layer"/> of <paramref name="model"/> (not modified).</summary>
    public WeightInputSession(OnnxModel model, WeightLayer layer, IReadOnlyList<DataBatch> batches, CalibrationLoss loss, RuntimeOptions? runtime = null)
    {
        Layer = layer;
        _batches = batches;
        _loss = loss;
        var copy = model.Clone();
        var weight = copy.Graph.FindInitializer(layer.WeightName) ?? throw new ShrinkException($"{model.Name}: layer {layer.Name} has no weight initializer '{layer.WeightName}'.");
        Weight = weight.ToFloatArray();
        copy.Graph.RemoveInitializer(layer.WeightName);
        copy.Graph.AddGraphInput(new ValueInfo(layer.WeightName, ElementType.Float, layer.WeightDims.Select(d => new Dimension(d, null)).ToArray()));
        _session = ModelSession.Open(copy, runtime ?? new RuntimeOptions(), $"{model.Name} ({layer.Name} weight as input)");
        _outputs = [_session.OutputNames[0]];
        _samples = batches.Sum(b => (long)b.Count);
    }

    /// <summary>The layer whose weight is an input.</summary>
    public WeightLayer Layer { get; }

    /// <summary>The float weight in its ONNX layout (a copy).</summary>
    public float[] Weight { get; }

    /// <summary>The mean calibration loss with the layer's weight set to <paramref name="weight"/> (ONNX layout, the weight's dims).</summary>
    public double Loss(float[] weight)
    {
        double sum = 0;
        var tensor = new BatchTensor(Layer.WeightName, ElementType.Float, Layer.WeightDims, weight);
        for (int b = 0; b < _batches.Count; b++)
        {
            var batch = _batches[b];
            var inputs = new List<BatchTensor>(batch.Inputs) { tensor };
            using var prepared = _session.Prepare(new DataBatch(inputs, batch.Count, batch.Labels));
            int index = b;
            _session.RunVisit(prepared, _outputs, (_, output) => sum += _loss.BatchSum(index, output));
        }
        return sum / _samples;
    }

    /// <summary>A matrix of the layer's [Rows × Cols] view in the weight's ONNX layout.</summary>
    public float[] ToOnnxLayout(float[] matrix) => Layer.StoredTransposed ? WeightLayer.Transpose(matrix, Layer.Rows, Layer.Cols) : matrix;

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
