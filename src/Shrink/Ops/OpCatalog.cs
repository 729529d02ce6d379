namespace Shrink.Ops;

/// <summary>
/// Every op Shrink knows, looked up by op type and domain: the one place that says what an op does (its
/// <see cref="OpSchema"/>). Algorithms ask the catalog instead of comparing op-type strings.
/// </summary>
public static class OpCatalog
{
    /// <summary>Every schema, family by family.</summary>
    public static IReadOnlyList<OpSchema> All { get; } =
    [
        .. ConvSchemas.All, .. GemmSchemas.All, .. MatMulSchemas.All, .. ElementwiseSchemas.All, .. NormalizationSchemas.All,
        .. PoolingSchemas.All, .. ShapeSchemas.All, .. QuantizationSchemas.All, .. LogicSchemas.All,
    ];

    // After All: static initializers run in textual order.
    private static readonly Dictionary<string, OpSchema> ByType = Index();

    /// <summary>Op types kept in float on purpose by QDQ quantization (numerically fragile), named as such in reports.</summary>
    public static IReadOnlySet<string> FragileOps { get; } = TypesWhere(s => s.QdqRole == QdqRole.Fragile);

    /// <summary>Op types whose presence means a model is already quantized.</summary>
    public static IReadOnlySet<string> QuantizedModelOps { get; } = TypesWhere(s => s.MeansQuantized);

    /// <summary>ONNX Runtime's integer kernels: what a QDQ model's Q/DQ pairs should fuse into.</summary>
    public static IReadOnlySet<string> IntegerKernels { get; } = TypesWhere(s => s.IsIntegerKernel);

    /// <summary>Op types with a MAC count.</summary>
    public static IReadOnlySet<string> MacCounted { get; } = TypesWhere(s => s.CountMacs is not null);

    /// <summary>
    /// The schema of <paramref name="opType"/> in <paramref name="domain"/> ("" and "ai.onnx" both mean the default
    /// domain), or null when the catalog does not know it.
    /// </summary>
    public static OpSchema? Find(string opType, string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (!ByType.TryGetValue(opType, out var schema)) return null;
        bool sameDomain = schema.IsDefaultDomain ? OpDomains.IsDefault(domain) : schema.Domain == domain;
        return sameDomain ? schema : null;
    }

    /// <summary>
    /// The schema of <paramref name="opType"/> whatever the domain a node spells (ORT's optimizer writes its integer kernels
    /// in either), or null.
    /// </summary>
    public static OpSchema? FindAnyDomain(string opType) => ByType.GetValueOrDefault(opType);

    /// <summary>The schema of a weighted op of the default domain (Conv, ConvTranspose, Gemm, MatMul), or null.</summary>
    public static OpSchema? FindLayer(string opType, string domain) => Find(opType, domain) is { Layer: not null } schema ? schema : null;

    /// <summary>Whether <paramref name="opType"/> is an op the catalog knows (in any domain).</summary>
    public static bool Knows(string opType) => ByType.ContainsKey(opType);

    private static Dictionary<string, OpSchema> Index()
    {
        var index = new Dictionary<string, OpSchema>(StringComparer.Ordinal);
        foreach (var schema in All)
        {
            if (!index.TryAdd(schema.OpType, schema))
                throw new InvalidOperationException($"The op catalog lists {schema.OpType} twice.");
        }
        return index;
    }

    private static HashSet<string> TypesWhere(Func<OpSchema, bool> predicate) =>
        All.Where(predicate).Select(s => s.OpType).ToHashSet(StringComparer.Ordinal);
}
