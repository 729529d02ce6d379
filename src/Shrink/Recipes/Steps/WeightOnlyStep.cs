using Shrink.Data;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Registration;
using Shrink.Reports;

namespace Shrink.Recipes.Steps;

/// <summary><c>weight-only</c>: low-bit weights, float activations (<see cref="WeightOnlyQuantizer"/>), as <c>shrink quantize --weights ...</c>.</summary>
[Registered("weight-only", "Weight-only 2-8 bit quantization (GPTQ or round-to-nearest); options: WeightOnlyOptions; gptq needs data", Order = 2)]
public sealed class WeightOnlyStep : RecipeMethod<WeightOnlyOptions>
{
    /// <summary>The most clipping ranges tried per group (as the CLI's --clip-steps).</summary>
    public const int MaxClipSteps = 1000;

    /// <inheritdoc />
    protected override bool NeedsData(WeightOnlyOptions options) => WeightRoundings.Create(options.Method).NeedsHessian;

    /// <inheritdoc />
    protected override void Check(WeightOnlyOptions options)
    {
        WeightRoundings.Create(options.Method);
        Require(options.ClipSteps is null or <= MaxClipSteps, $"clip_steps must be in 1..{MaxClipSteps}, not {options.ClipSteps}.");
    }

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(WeightOnlyOptions options) => options.ExcludeNodes.Concat(options.LayerBits.Keys);

    /// <inheritdoc />
    protected override RecipeStepResult Apply(OnnxModel model, WeightOnlyOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress, string input, string output)
    {
        var result = new WeightOnlyQuantizer(options).Quantize(model, openData, progress);
        return new RecipeStepResult(result.Model, (inBytes, outBytes) => WeightOnlyReport.Build(result, input, output, inBytes, outBytes));
    }
}
