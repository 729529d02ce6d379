namespace Shrink.Cli.Json;

/// <summary><c>--json</c>'s <c>qat</c> node for weight-only (MatMulNBits) quantization-aware training.</summary>
internal sealed record WeightOnlyQatJson(double PtqOutputSqnrDb, double PtqTop1Agreement, double QatOutputSqnrDb, double QatTop1Agreement, long Samples, bool HeldOut,
    double? PtqDistillationLoss, double? QatDistillationLoss, int Layers, int DequantizeLayers, int EmbeddingTables, int FrozenLayers, FineTuneJson FineTune);
