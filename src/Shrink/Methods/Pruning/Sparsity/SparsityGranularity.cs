using System.Globalization;

namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// The shape of the zeros: unstructured (any weight may go), or N:M semi-structured (at most <see cref="N"/> nonzeros in
/// every <see cref="M"/> consecutive weights of a row along the reduction axis K, e.g. 2:4).
/// </summary>
public sealed record SparsityGranularity
{
    private SparsityGranularity(int n, int m)
    {
        N = n;
        M = m;
    }

    /// <summary>Any weight may be zeroed.</summary>
    public static SparsityGranularity Unstructured { get; } = new(0, 0);

    /// <summary>Nonzeros kept per group (0 for unstructured).</summary>
    public int N { get; }

    /// <summary>Group length along K (0 for unstructured).</summary>
    public int M { get; }

    /// <summary>Whether this is plain unstructured sparsity.</summary>
    public bool IsUnstructured => M == 0;

    /// <summary>N nonzeros out of every M consecutive weights along K.</summary>
    /// <exception cref="ShrinkException">Not 1 ≤ N &lt; M ≤ 256.</exception>
    public static SparsityGranularity NOfM(int n, int m)
    {
        if (n < 1 || n >= m || m > 256)
            throw new ShrinkException($"An N:M sparsity pattern needs 1 ≤ N < M ≤ 256, not {n}:{m}.");
        return new SparsityGranularity(n, m);
    }

    /// <summary>Parses <c>unstructured</c> or <c>N:M</c> (e.g. <c>2:4</c>).</summary>
    /// <exception cref="ShrinkException">Anything else.</exception>
    public static SparsityGranularity Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.Equals(text.Trim(), "unstructured", StringComparison.OrdinalIgnoreCase)) return Unstructured;
        var parts = text.Split(':');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int m))
            return NOfM(n, m);
        throw new ShrinkException($"Sparsity granularity '{text}' is neither 'unstructured' nor N:M (e.g. 2:4).");
    }

    /// <summary>The mask that produces this pattern.</summary>
    public ISparsityMask CreateMask() => IsUnstructured ? new MagnitudeMask() : new NmMask(N, M);

    /// <inheritdoc />
    public override string ToString() => IsUnstructured ? "unstructured" : $"{N}:{M}";
}
