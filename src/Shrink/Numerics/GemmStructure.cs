namespace Shrink.Numerics;

/// <summary>Known zero or unneeded parts of a product that <see cref="GemmDriver"/> may skip (coordinates local to C and op(A)).</summary>
internal enum GemmStructure
{
    /// <summary>Dense operands, all of C wanted.</summary>
    General,

    /// <summary>
    /// Only the lower triangle of C (i ≥ j) is wanted: tiles wholly above the diagonal are skipped, tiles crossing it are
    /// computed whole, so the strict upper triangle near the diagonal is left unspecified.
    /// </summary>
    LowerC,

    /// <summary>op(A) is lower triangular (op(A)[i, p] = 0 for p &gt; i): the zero part of each row block's k range is skipped.</summary>
    LowerA,

    /// <summary>op(B) is lower triangular (op(B)[p, j] = 0 for j &gt; p): each column sliver skips the zero top of its k range.</summary>
    LowerB,
}
