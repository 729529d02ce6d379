using Shrink.Methods.Quantization.Qdq;
using Shrink.Registration;

namespace Shrink.Methods.Quantization;

/// <summary>Calibrated static int8 QDQ quantization as a registered method (<see cref="StaticQuantizer"/>).</summary>
[Registered("quantize-static", "int8 weights and activations, calibrated QDQ fused by ONNX Runtime into integer kernels (needs data)")]
public sealed class StaticQuantizationMethod() : CompressionMethod<StaticQuantizationOptions, QuantizationResult>((model, options, data, progress) =>
    new StaticQuantizer(options).Quantize(model, data ?? throw new ShrinkException("static quantization needs calibration data."), progress), requiresData: true);
