using Shrink.Ops;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Which handler marks which op type (default ONNX domain). The default registry follows each op's
/// <see cref="OpSchema.QdqRole"/> in the <see cref="OpCatalog"/>. Ops not registered stay in float: numerically fragile
/// ones (Softmax, LayerNorm and its decomposition, Sigmoid, Div, Pow, Erf...) by design, others because no fused int8
/// kernel would run them. Registering a duplicate op type throws.
/// </summary>
public sealed class QdqOpRegistry
{
    private readonly Dictionary<string, IQdqOpHandler> _handlers = new(StringComparer.Ordinal);

    /// <summary>The default registry.</summary>
    public static QdqOpRegistry Default { get; } = CreateDefault();

    /// <summary>Op types that are kept in float on purpose, named as such in reports (the catalog's <see cref="QdqRole.Fragile"/> ops).</summary>
    public static IReadOnlySet<string> FragileOps => OpCatalog.FragileOps;

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
        var binary = new BinaryOpHandler();
        var shared = new SharedScaleOpHandler();
        var own = new OwnScaleOpHandler();
        var registry = new QdqOpRegistry();
        foreach (var schema in OpCatalog.All)
        {
            IQdqOpHandler? handler = schema.QdqRole switch
            {
                QdqRole.QuantizedWeights => weighted,
                QdqRole.QuantizedBinary => binary,
                QdqRole.SharesInputScale => shared,
                QdqRole.OwnOutputScale => own,
                _ => null,
            };
            if (handler is not null) registry.Register(schema.OpType, handler);
        }
        return registry;
    }
}
