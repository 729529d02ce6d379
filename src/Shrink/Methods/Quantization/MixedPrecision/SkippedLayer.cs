namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>A weighted layer mixed precision leaves at its precision, with the reason.</summary>
public sealed record SkippedLayer(string Name, string OpType, string Reason);
