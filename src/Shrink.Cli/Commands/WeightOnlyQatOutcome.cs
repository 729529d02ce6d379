using Shrink.Methods.Quantization;
using Shrink.Model;
using Shrink.Training;

namespace Shrink.Cli.Commands;

/// <summary>What <c>quantize --weights ... --qat</c> (or <c>--mixed ... --qat</c>) did.</summary>
/// <param name="Model">The written model: the PTQ model's MatMulNBits, DequantizeLinear weights and GatherBlockQuantized tables with the trained codes, scales and biases.</param>
/// <param name="Tuned">The fine-tuning run (its per-epoch metric is the held-out distillation loss of the exported model).</param>
/// <param name="Options">The training options as run.</param>
/// <param name="Before">PTQ's output fidelity against the float model.</param>
/// <param name="After">The written model's.</param>
/// <param name="Layers">MatMulNBits layers trained.</param>
/// <param name="DequantizeLayers">Layers trained whose weight is a DequantizeLinear (Conv, groups MatMulNBits cannot carry).</param>
/// <param name="EmbeddingTables">Embedding tables trained that the model reads with GatherBlockQuantized.</param>
/// <param name="FrozenLayers">Weight-only layers kept as PTQ wrote them (DequantizeLinear and GatherBlockQuantized inside subgraphs).</param>
/// <param name="Samples">Samples the fidelity was measured on.</param>
/// <param name="HeldOut">Whether those samples (and the per-epoch metric's) were held out of training (the tail of --data).</param>
internal sealed record WeightOnlyQatOutcome(OnnxModel Model, FineTuneResult Tuned, FineTuneOptions Options, ExclusionTrial Before, ExclusionTrial After,
    int Layers, int DequantizeLayers, int EmbeddingTables, int FrozenLayers, long Samples, bool HeldOut);
