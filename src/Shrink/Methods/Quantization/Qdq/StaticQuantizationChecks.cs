using Shrink.Calibration;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>The checks of <see cref="StaticQuantizationOptions"/> that static and dynamic quantization share, beyond the record's <c>Validate()</c>.</summary>
internal static class StaticQuantizationChecks
{
    /// <summary>Throws <see cref="ShrinkException"/> naming the first bad option.</summary>
    public static void Check(StaticQuantizationOptions o)
    {
        CalibrationMethods.Create(o.Calibration, o.CalibrationSettings);
        Require(o.ActivationType is ElementType.UInt8 or ElementType.Int8, $"activation_type must be uint8 or int8, not {o.ActivationType.ToString().ToLowerInvariant()}.");
        Require(o.ActivationBits is >= 2 and <= 8, $"activation_bits must be in 2..8, not {o.ActivationBits}.");
        CheckWeights(o);
        Require(o.CalibrationSettings.Percentile is > 0 and <= 100, $"calibration_settings.percentile must be in (0, 100], not {o.CalibrationSettings.Percentile}.");
        Require(o.CalibrationSettings.Bins > 0 && o.CalibrationSettings.Bins % 4 == 0, $"calibration_settings.bins must be a positive multiple of 4, not {o.CalibrationSettings.Bins}.");
        Require(o.Samples > 0, $"samples must be positive, not {o.Samples}.");
        Require(o.BatchSize is > 0 and <= StaticQuantizationOptions.MaxBatchSize, $"batch_size must be in 1..{StaticQuantizationOptions.MaxBatchSize}, not {o.BatchSize}.");
        Require(o.MemoryLimitBytes is null or >= MemoryBudget.MinimumBytes, $"memory_limit_bytes must be at least {MemoryBudget.MinimumBytes}, not {o.MemoryLimitBytes}.");
        Require(o.AnalysisSamples >= 0, $"analysis_samples must be 0 or positive, not {o.AnalysisSamples}.");
        Require(o.SuggestExclusions >= 0, $"suggest_exclusions must be 0 or positive, not {o.SuggestExclusions}.");
        Require(o.MinReductionSize >= 0, $"min_reduction_size must be 0 or positive, not {o.MinReductionSize}.");
        o.Equivalence.Validate();
    }

    /// <summary>The weight options: bits in 2..8, a registered rounding, per-channel scales for a data-aware one.</summary>
    public static void CheckWeights(StaticQuantizationOptions o)
    {
        Require(o.WeightBits is >= 2 and <= 8, $"weight_bits must be in 2..8, not {o.WeightBits}.");
        var rounding = WeightRoundings.Create(o.WeightRounding);
        Require(!rounding.NeedsHessian || o.PerChannelWeights,
            $"weight_rounding {rounding.Name} rounds with one scale per output channel; it does not take per-tensor weights (per_channel_weights false).");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ShrinkException(message);
    }
}
