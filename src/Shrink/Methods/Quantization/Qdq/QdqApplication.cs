namespace Shrink.Methods.Quantization.Qdq;

/// <summary>What <see cref="QdqInserter.Apply"/> chose: parameters per activation tensor and the name of each tensor's dequantized copy.</summary>
/// <param name="Parameters">Scale, zero point and type per quantized activation tensor.</param>
/// <param name="DequantizedNames">Tensor name → name of its DequantizeLinear output in the rewritten graph.</param>
public sealed record QdqApplication(IReadOnlyDictionary<string, QuantParams> Parameters, IReadOnlyDictionary<string, string> DequantizedNames);
