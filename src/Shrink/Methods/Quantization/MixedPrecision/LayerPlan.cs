namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>One layer's chosen width in a mixed-precision plan, with its cost and bytes.</summary>
public sealed record LayerPlan(string Name, string OpType, long Parameters, int Bits, double Omega, long Bytes, long FloatBytes);
