namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Which handler marks which op type (default ONNX domain). Ops not registered stay in float: numerically fragile ones
/// (Softmax, LayerNorm and its decomposition, Sigmoid, Div, Pow, Erf...) by design, others because no fused int8 kernel
/// would run them. Registering a duplicate op type throws.
/// </summary>
public sealed class QdqOpRegistry
{
    private readonly Dictionary<string, IQdqOpHandler> _handlers = new(StringComparer.Ordinal);

    /// <summary>The default registry.</summary>
    public static QdqOpRegistry Default { get; } = CreateDefault();

    /// <summary>Op types that are kept in float on purpose, named as such in reports.</summary>
    public static IReadOnlySet<string> FragileOps { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Softmax", "LogSoftmax", "LayerNormalization", "BatchNormalization", "InstanceNormalization", "GroupNormalization",
        "Sigmoid", "Tanh", "Div", "Pow", "Sqrt", "Erf", "Exp", "Log", "ReduceMean", "ReduceSum", "Sub", "Mul", "Gelu",
    };

    /// <summary>Registers a handler for an op type.</summary>
    public QdqOpRegistry Register(string opType, IQdqOpHandler handler)
    {
        if (!_handlers.TryAdd(opType, handler))
            throw new InvalidOperationException($"A QDQ handler for '{opType}' is already registered.");
        return this;
    }

    /// <summary>The handler for an op type, or null.</summary>
    public IQdqOpHandler? Find(string opType) => _handlers.GetValueOrDefault(opType);

    /// <summary>The registered op types.</summary>
    public IEnumerable<string> OpTypes => _handlers.Keys;

    private static QdqOpRegistry CreateDefault()
    {
        var weighted = new WeightedOpHandler();
        var shared = new SharedScaleOpHandler();
        var own = new OwnScaleOpHandler();
        return new QdqOpRegistry()
            .Register("Conv", weighted)
            .Register("Gemm", weighted)
            .Register("MatMul", weighted)
            .Register("Add", new BinaryOpHandler())
            .Register("MaxPool", shared)
            .Register("Reshape", shared)
            .Register("Flatten", shared)
            .Register("Transpose", shared)
            .Register("Squeeze", shared)
            .Register("Unsqueeze", shared)
            .Register("GlobalAveragePool", own)
            .Register("AveragePool", own)
            .Register("Concat", own);
    }
}
