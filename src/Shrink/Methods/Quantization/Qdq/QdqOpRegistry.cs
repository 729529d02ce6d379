using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Methods.Quantization.Qdq;

/// <summary>
/// Which handler marks which op type (default ONNX domain). The default registry is discovered (<see cref="Build"/>):
/// each registered handler serves the <see cref="OpCatalog"/>'s ops of its <see cref="OpSchema.QdqRole"/> and the op
/// types it claims by name. Ops not registered stay in float: numerically fragile
/// ones (Softmax, LayerNorm and its decomposition, Sigmoid, Div, Pow, Erf...) by design, others because no fused int8
/// kernel would run them. Registering a duplicate op type throws.
/// </summary>
public sealed class QdqOpRegistry
{
    private readonly Dictionary<string, IQdqOpHandler> _handlers = new(StringComparer.Ordinal);

    /// <summary>Every <see cref="IQdqOpHandler"/> class marked <see cref="RegisteredAttribute"/> (adding one is one new file).</summary>
    public static Registry<IQdqOpHandler> Handlers { get; } = Registry<IQdqOpHandler>.Discover("QDQ op handler");

    // After Handlers: static initializers run in textual order.
    /// <summary>The default registry: the discovered <see cref="Handlers"/> over the <see cref="OpCatalog"/>.</summary>
    public static QdqOpRegistry Default { get; } = Build(Handlers);

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

    /// <summary>
    /// The registry of the handlers in <paramref name="handlers"/> (one instance each): each catalog op of a handler's <see cref="IQdqOpHandler.Role"/>,
    /// then each op type a handler claims by name, which overrides the role's handler. Two handlers serving the same role,
    /// or claiming the same op type, throw naming both.
    /// </summary>
    public static QdqOpRegistry Build(Registry<IQdqOpHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        var byRole = new Dictionary<QdqRole, (string Name, IQdqOpHandler Handler)>();
        var byOpType = new Dictionary<string, (string Name, IQdqOpHandler Handler)>(StringComparer.Ordinal);
        foreach (var entry in handlers.Entries)
        {
            var handler = handlers.Create(entry.Name);
            if (handler.Role is { } role && !byRole.TryAdd(role, (entry.Name, handler)))
                throw new InvalidOperationException($"QDQ op handlers '{byRole[role].Name}' and '{entry.Name}' both serve the role {role}.");
            foreach (var opType in handler.ClaimedOpTypes)
            {
                if (!byOpType.TryAdd(opType, (entry.Name, handler)))
                    throw new InvalidOperationException($"QDQ op handlers '{byOpType[opType].Name}' and '{entry.Name}' both claim '{opType}'.");
            }
        }
        var registry = new QdqOpRegistry();
        foreach (var schema in OpCatalog.All)
        {
            if (byOpType.ContainsKey(schema.OpType)) continue;
            if (byRole.TryGetValue(schema.QdqRole, out var served)) registry.Register(schema.OpType, served.Handler);
        }
        foreach (var (opType, claimed) in byOpType) registry.Register(opType, claimed.Handler);
        return registry;
    }
}
