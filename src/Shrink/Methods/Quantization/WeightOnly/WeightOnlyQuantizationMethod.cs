using Shrink.Registration;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>Weight-only low-bit quantization as a registered method (<see cref="WeightOnlyQuantizer"/>).</summary>
[Registered("quantize-weights", "2-8 bit weights, float activations (MatMulNBits / DequantizeLinear), by a registered rounder", Order = 2)]
public sealed class WeightOnlyQuantizationMethod() : CompressionMethod<WeightOnlyOptions, WeightOnlyResult>((model, options, data, progress) =>
    new WeightOnlyQuantizer(options).Quantize(model, data, progress));
