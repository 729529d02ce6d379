namespace Shrink.Ops;

/// <summary>The operator domains Shrink knows: the default ONNX domain (spelled "" or "ai.onnx") and ONNX Runtime's contrib ops.</summary>
public static class OpDomains
{
    /// <summary>The default ONNX domain as most exporters write it.</summary>
    public const string Default = "";

    /// <summary>The default ONNX domain spelled out.</summary>
    public const string Onnx = "ai.onnx";

    /// <summary>ONNX Runtime's contrib ops (MatMulNBits, QGemm, DynamicQuantizeMatMul, ...).</summary>
    public const string Microsoft = "com.microsoft";

    /// <summary>Whether <paramref name="domain"/> is the default ONNX domain ("" or "ai.onnx").</summary>
    public static bool IsDefault(string domain) => domain.Length == 0 || domain == Onnx;
}
