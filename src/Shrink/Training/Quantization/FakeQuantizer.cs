namespace Shrink.Training.Quantization;

/// <summary>
/// One fake quantizer of a QAT model, standing where a weight DequantizeLinear or an activation QuantizeLinear →
/// DequantizeLinear pair of the PTQ model stood: v = x / s; c = Clip(v, QMin − z, QMax − z); r = c + stop_gradient(Round(c) − c);
/// y = r · s. Forward it computes exactly what the Q/DQ computed (at 8 bits); backward it gives the straight-through
/// estimator (dy/dx = 1 inside the range, 0 outside) and LSQ's scale gradient (round(v) − v inside, the bound outside).
/// </summary>
/// <param name="IsWeight">Whether it quantizes a weight (else an activation).</param>
/// <param name="Input">The float value quantized (the weight parameter, or the activation).</param>
/// <param name="Output">The value the Q/DQ's consumers read (the DequantizeLinear's output name).</param>
/// <param name="Scale">The scale parameter (float initializer: a scalar, or one per channel along <paramref name="Axis"/>).</param>
/// <param name="ZeroPoint">The zero point z (fixed).</param>
/// <param name="QMin">The lowest code of the grid (in the int8/uint8 container).</param>
/// <param name="QMax">The highest code of the grid.</param>
/// <param name="Axis">The channel axis of a per-channel scale, or null.</param>
/// <param name="StopGradient">The value Round(c) − c, to pass to <c>Gradients.Build</c> as a stop-gradient value.</param>
public sealed record FakeQuantizer(bool IsWeight, string Input, string Output, string Scale, int ZeroPoint, int QMin, int QMax, int? Axis, string StopGradient);
