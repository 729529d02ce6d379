namespace Shrink.Training.Quantization;

/// <summary>A weight of a QAT model and where its codes go in the PTQ model on export.</summary>
/// <param name="Weight">The float weight parameter.</param>
/// <param name="Codes">The PTQ model's int8/uint8 initializer of the codes.</param>
/// <param name="Scale">The scale initializer (the same name in both models).</param>
/// <param name="ZeroPoint">The fixed zero point.</param>
/// <param name="QMin">The lowest code of the weight grid.</param>
/// <param name="QMax">The highest code of the weight grid.</param>
/// <param name="Axis">The channel axis of a per-channel scale, or null.</param>
internal sealed record WeightLink(string Weight, string Codes, string Scale, int ZeroPoint, int QMin, int QMax, int? Axis);
