using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Dynamic;

/// <summary>Dynamic int8 quantization as a registered method (<see cref="DynamicQuantizer"/>); it needs no data.</summary>
[Registered("quantize-dynamic", "int8 MatMul/Gemm weights, activations quantized at run time (no data)", Order = 1)]
public sealed class DynamicQuantizationMethod : ICompressionMethod<StaticQuantizationOptions, QuantizationResult>
{
    /// <inheritdoc />
    public string Name => "quantize-dynamic";

    /// <inheritdoc />
    public bool RequiresData => false;

    /// <inheritdoc />
    public QuantizationResult Apply(OnnxModel model, StaticQuantizationOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null) =>
        new DynamicQuantizer(options).Quantize(model);
}
