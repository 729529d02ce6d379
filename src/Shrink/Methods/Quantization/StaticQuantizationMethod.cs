using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Quantization;

/// <summary>Calibrated static int8 QDQ quantization as a registered method (<see cref="StaticQuantizer"/>).</summary>
[Registered("quantize-static", "int8 weights and activations, calibrated QDQ fused by ONNX Runtime into integer kernels (needs data)")]
public sealed class StaticQuantizationMethod : ICompressionMethod<StaticQuantizationOptions, QuantizationResult>
{
    /// <inheritdoc />
    public string Name => "quantize-static";

    /// <inheritdoc />
    public bool RequiresData => true;

    /// <inheritdoc />
    public QuantizationResult Apply(OnnxModel model, StaticQuantizationOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null) =>
        new StaticQuantizer(options).Quantize(model, data ?? throw new ShrinkException("static quantization needs calibration data."), progress);
}
