using Shrink.Calibration;
using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Registration;
using Shrink.Reports;

namespace Shrink.Recipes.Steps;

/// <summary><c>quantize</c>: calibrated static int8 QDQ (<see cref="StaticQuantizer"/>), as <c>shrink quantize --data ...</c>.</summary>
[Registered("quantize", "Static int8 quantization (calibrated QDQ); options: StaticQuantizationOptions; needs data", Order = 0)]
public sealed class StaticQuantizeStep : RecipeMethod<StaticQuantizationOptions>
{
    /// <summary>The largest calibration batch accepted (as the CLI's --calibration-batch).</summary>
    public const int MaxBatch = 4096;

    /// <inheritdoc />
    protected override bool NeedsData(StaticQuantizationOptions options) => true;

    /// <inheritdoc />
    protected override void Check(StaticQuantizationOptions options) => CheckCommon(options);

    /// <summary>The checks static and dynamic quantization share.</summary>
    internal static void CheckCommon(StaticQuantizationOptions o)
    {
        CalibrationMethods.Create(o.Calibration, o.CalibrationSettings);
        Require(o.ActivationType is ElementType.UInt8 or ElementType.Int8, $"activation_type must be uint8 or int8, not {o.ActivationType.ToString().ToLowerInvariant()}.");
        Require(o.CalibrationSettings.Percentile is > 0 and <= 100, $"calibration_settings.percentile must be in (0, 100], not {o.CalibrationSettings.Percentile}.");
        Require(o.CalibrationSettings.Bins > 0 && o.CalibrationSettings.Bins % 4 == 0, $"calibration_settings.bins must be a positive multiple of 4, not {o.CalibrationSettings.Bins}.");
        Require(o.Samples > 0, $"samples must be positive, not {o.Samples}.");
        Require(o.BatchSize is > 0 and <= MaxBatch, $"batch_size must be in 1..{MaxBatch}, not {o.BatchSize}.");
        Require(o.MemoryLimitBytes is null or >= MemoryBudget.MinimumBytes, $"memory_limit_bytes must be at least {MemoryBudget.MinimumBytes}, not {o.MemoryLimitBytes}.");
        Require(o.AnalysisSamples >= 0, $"analysis_samples must be 0 or positive, not {o.AnalysisSamples}.");
        Require(o.SuggestExclusions >= 0, $"suggest_exclusions must be 0 or positive, not {o.SuggestExclusions}.");
        Require(o.MinReductionSize >= 0, $"min_reduction_size must be 0 or positive, not {o.MinReductionSize}.");
    }

    /// <inheritdoc />
    protected override IEnumerable<string> NodeNames(StaticQuantizationOptions options) => options.ExcludeNodes;

    /// <inheritdoc />
    protected override RecipeStepResult Apply(OnnxModel model, StaticQuantizationOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? openData, IProgress<ProgressInfo>? progress, string input, string output)
    {
        var result = new StaticQuantizer(options).Quantize(model, openData ?? throw new ShrinkException("quantize needs calibration data: give the recipe a data section."), progress);
        return new RecipeStepResult(result.Model, (inBytes, outBytes) => QuantizationReport.Build(result, input, output, inBytes, outBytes));
    }
}
