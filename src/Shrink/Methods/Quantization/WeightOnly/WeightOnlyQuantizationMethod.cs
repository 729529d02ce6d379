using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary><c>weight-only</c>: low-bit weights, float activations (<see cref="WeightOnlyQuantizer"/>), as <c>shrink quantize --weights ...</c>.</summary>
[Registered("weight-only", "Weight-only 2-8 bit quantization (GPTQ or round-to-nearest); options: WeightOnlyOptions; gptq needs data", Order = 2)]
public sealed class WeightOnlyQuantizationMethod : CompressionMethod<WeightOnlyOptions, WeightOnlyResult>
{
    /// <inheritdoc />
    protected override bool NeedsData(WeightOnlyOptions options) => WeightRoundings.Create(options.Method).NeedsHessian;

    /// <inheritdoc />
    protected override void Check(WeightOnlyOptions options)
    {
        WeightRoundings.Create(options.Method);
        Require(options.ClipSteps is null or <= WeightOnlyOptions.MaxClipSteps, $"clip_steps must be in 1..{WeightOnlyOptions.MaxClipSteps}, not {options.ClipSteps}.");
    }

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(WeightOnlyOptions options) => options.ExcludeNodes.Concat(options.LayerBits.Keys);

    /// <inheritdoc />
    protected override WeightOnlyResult Run(OnnxModel model, WeightOnlyOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress) =>
        new WeightOnlyQuantizer(options).Quantize(model, data, progress);
}
