using Shrink.Data;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Registration;
using Shrink.Reports;

namespace Shrink.Recipes.Steps;

/// <summary><c>quantize-dynamic</c>: MatMul/Gemm weights to int8, activations quantized at run time (<see cref="DynamicQuantizer"/>), as <c>shrink quantize --mode dynamic</c>.</summary>
[Registered("quantize-dynamic", "Dynamic int8 quantization (no data); options: StaticQuantizationOptions", Order = 1)]
public sealed class DynamicQuantizeStep : RecipeMethod<StaticQuantizationOptions>
{
    /// <inheritdoc />
    protected override bool NeedsData(StaticQuantizationOptions options) => false;

    /// <inheritdoc />
    protected override void Check(StaticQuantizationOptions options) => StaticQuantizeStep.CheckCommon(options);

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(StaticQuantizationOptions options) => options.ExcludeNodes;

    /// <inheritdoc />
    protected override RecipeStepResult Apply(OnnxModel model, StaticQuantizationOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress, string input, string output)
    {
        var result = new DynamicQuantizer(options).Quantize(model);
        return new RecipeStepResult(result.Model, (inBytes, outBytes) => QuantizationReport.Build(result, input, output, inBytes, outBytes));
    }
}
