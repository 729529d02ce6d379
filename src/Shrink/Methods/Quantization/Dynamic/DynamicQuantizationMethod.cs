using Shrink.Methods.Quantization.Qdq;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Dynamic;

/// <summary>Dynamic int8 quantization as a registered method (<see cref="DynamicQuantizer"/>); it needs no data.</summary>
[Registered("quantize-dynamic", "int8 MatMul/Gemm weights, activations quantized at run time (no data)", Order = 1)]
public sealed class DynamicQuantizationMethod() : CompressionMethod<StaticQuantizationOptions, QuantizationResult>((model, options, _, _) =>
    new DynamicQuantizer(options).Quantize(model));
