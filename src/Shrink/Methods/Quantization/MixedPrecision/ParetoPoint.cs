namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>One measured allocation of an accuracy-versus-size sweep.</summary>
/// <param name="Kind"><c>uniform</c>, <c>ilp</c> or <c>random</c>.</param>
/// <param name="LayerBits">Bits per layer.</param>
/// <param name="PredictedBytes">The size the planner's accounting gives it.</param>
/// <param name="Bytes">The size of the written model file.</param>
/// <param name="Metric">The measured metric (accuracy or top-1 agreement).</param>
public sealed record ParetoPoint(string Kind, IReadOnlyDictionary<string, int> LayerBits, long PredictedBytes, long Bytes, double Metric);
