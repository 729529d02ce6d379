using Shrink.Data;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Dynamic;

/// <summary><c>quantize-dynamic</c>: MatMul/Gemm weights to int8, activations quantized at run time (<see cref="DynamicQuantizer"/>), as <c>shrink quantize --mode dynamic</c>.</summary>
[Registered("quantize-dynamic", "Dynamic int8 quantization (no data); options: StaticQuantizationOptions", Order = 1)]
public sealed class DynamicQuantizationMethod : CompressionMethod<StaticQuantizationOptions, QuantizationResult>
{
    /// <inheritdoc />
    protected override bool NeedsData(StaticQuantizationOptions options) => false;

    /// <inheritdoc />
    protected override void Check(StaticQuantizationOptions options)
    {
        StaticQuantizationChecks.Check(options);
        if (options.WeightBits != 8 || !string.Equals(options.WeightRounding, "rtn", StringComparison.OrdinalIgnoreCase))
            throw new ShrinkException($"quantize-dynamic writes int8 weights rounded to nearest; weight_bits {options.WeightBits} and weight_rounding {options.WeightRounding} apply to static quantization.");
    }

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(StaticQuantizationOptions options) => options.ExcludeNodes;

    /// <inheritdoc />
    protected override QuantizationResult Run(OnnxModel model, StaticQuantizationOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress) =>
        new DynamicQuantizer(options).Quantize(model);
}
