namespace Shrink.Training.Quantization;

/// <summary>A bias of a QAT model and where its int32 codes go in the PTQ model on export (scale s_in · s_w).</summary>
/// <param name="Bias">The float bias parameter.</param>
/// <param name="Codes">The PTQ model's int32 initializer of the codes.</param>
/// <param name="Scale">The PTQ model's initializer of the bias scale.</param>
/// <param name="InputScale">The activation scale of the layer's input.</param>
/// <param name="WeightScale">The scale of the layer's weight.</param>
internal sealed record BiasLink(string Bias, string Codes, string Scale, string InputScale, string WeightScale);
