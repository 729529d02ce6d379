using Shrink.Data;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Quantization;

/// <summary><c>quantize</c>: calibrated static int8 QDQ (<see cref="StaticQuantizer"/>), as <c>shrink quantize --data ...</c>.</summary>
[Registered("quantize", "Static int8 quantization (calibrated QDQ); options: StaticQuantizationOptions; needs data")]
public sealed class StaticQuantizationMethod : CompressionMethod<StaticQuantizationOptions, QuantizationResult>
{
    /// <inheritdoc />
    protected override bool NeedsData(StaticQuantizationOptions options) => true;

    /// <inheritdoc />
    protected override void Check(StaticQuantizationOptions options) => StaticQuantizationChecks.Check(options);

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(StaticQuantizationOptions options) => options.ExcludeNodes;

    /// <inheritdoc />
    protected override QuantizationResult Run(OnnxModel model, StaticQuantizationOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress) =>
        new StaticQuantizer(options).Quantize(model, data ?? throw new ShrinkException("static quantization needs calibration data (a recipe's data section, or --data)."), progress);
}
