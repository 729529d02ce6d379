using Shrink.Methods.Quantization;
using Shrink.Training;

namespace Shrink.Cli.Commands;

/// <summary>What <c>quantize --qat</c> did.</summary>
internal sealed record QatOutcome(QuantizationResult Result, FineTuneResult Tuned, FineTuneOptions Options, ExclusionTrial Before, ExclusionTrial After,
    int WeightQuantizers, int ActivationQuantizers, long Samples);
