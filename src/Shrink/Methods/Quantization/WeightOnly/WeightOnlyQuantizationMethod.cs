using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>Weight-only low-bit quantization as a registered method (<see cref="WeightOnlyQuantizer"/>).</summary>
[Registered("quantize-weights", "2-8 bit weights, float activations (MatMulNBits / DequantizeLinear), by a registered rounder", Order = 2)]
public sealed class WeightOnlyQuantizationMethod : ICompressionMethod<WeightOnlyOptions, WeightOnlyResult>
{
    /// <inheritdoc />
    public string Name => "quantize-weights";

    /// <inheritdoc />
    public bool RequiresData => false;

    /// <inheritdoc />
    public WeightOnlyResult Apply(OnnxModel model, WeightOnlyOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null) =>
        new WeightOnlyQuantizer(options).Quantize(model, data, progress);
}
