namespace Shrink.Ops;

/// <summary>What a MAC count may read of one node: its integer attributes, its input shapes and its output's element count.</summary>
/// <param name="Attribute">The node's integer attributes.</param>
/// <param name="InputShape">The dims of input <c>i</c>, or null when it is absent or not measured.</param>
/// <param name="OutputCount">Elements of the first output (unknown dims count as 0).</param>
public readonly record struct MacQuery(IntAttribute Attribute, Func<int, long[]?> InputShape, long OutputCount)
{
    /// <summary>The product of <paramref name="dims"/>, negative (unknown) dims counting as 0.</summary>
    public static long Product(ReadOnlySpan<long> dims)
    {
        long p = 1;
        foreach (var d in dims) p *= Math.Max(d, 0);
        return p;
    }
}
