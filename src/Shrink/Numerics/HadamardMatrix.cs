namespace Shrink.Numerics;

/// <summary>
/// Hadamard matrices (entries ±1, H·Hᵀ = n·I) of order n = m·2^k for m ∈ {1, 12, 20}: Sylvester's doubling for the
/// power of two, Paley's construction I for 12 (q = 11) and 20 (q = 19), and their Kronecker product. This covers the
/// usual model widths (64, 128, 192 = 12·16, 256, 320 = 20·16, 768 = 12·64, ...). Other orders (28, 36, 100, ...) have
/// no construction here: <see cref="TryCreate"/> returns null.
/// </summary>
public static class HadamardMatrix
{
    // Paley construction I: order q + 1 for a prime q ≡ 3 (mod 4).
    private static readonly int[] PaleyPrimes = [11, 19];

    /// <summary>Whether an order-<paramref name="n"/> matrix can be built; <paramref name="construction"/> says how ("12×16").</summary>
    public static bool Supports(int n, out string construction)
    {
        construction = "";
        if (n < 1) return false;
        foreach (int m in Bases())
        {
            if (n % m != 0) continue;
            int power = n / m;
            if ((power & (power - 1)) != 0) continue;
            construction = m == 1 ? $"{n} = 2^{Log2(n)}" : power == 1 ? $"{n} (Paley)" : $"{n} = {m}×{power}";
            return true;
        }
        return false;
    }

    /// <summary>
    /// The unnormalized order-<paramref name="n"/> Hadamard matrix, row-major, entries ±1 (divide by √n for an orthogonal
    /// matrix); null where <see cref="Supports"/> is false.
    /// </summary>
    public static sbyte[]? TryCreate(int n)
    {
        if (n < 1) return null;
        foreach (int m in Bases())
        {
            if (n % m != 0) continue;
            int power = n / m;
            if ((power & (power - 1)) != 0) continue;
            var small = m == 1 ? [1] : Paley(m - 1);
            return Kronecker(small, m, Sylvester(power), power);
        }
        return null;
    }

    private static IEnumerable<int> Bases()
    {
        yield return 1;
        foreach (int q in PaleyPrimes) yield return q + 1;
    }

    private static int Log2(int n) => System.Numerics.BitOperations.Log2((uint)n);

    /// <summary>Sylvester's construction of order <paramref name="n"/> (a power of two).</summary>
    private static sbyte[] Sylvester(int n)
    {
        var h = new sbyte[n * n];
        h[0] = 1;
        for (int size = 1; size < n; size *= 2)
            for (int i = 0; i < size; i++)
                for (int j = 0; j < size; j++)
                {
                    sbyte v = h[i * n + j];
                    h[i * n + j + size] = v;
                    h[(i + size) * n + j] = v;
                    h[(i + size) * n + j + size] = (sbyte)-v;
                }
        return h;
    }

    /// <summary>Paley's construction I of order q + 1: H = I + S, S = [[0, 1ᵀ], [−1, Q]] with Q the Jacobsthal matrix of GF(q).</summary>
    private static sbyte[] Paley(int q)
    {
        var square = new bool[q];
        for (int x = 1; x < q; x++) square[x * x % q] = true;
        int n = q + 1;
        var h = new sbyte[n * n];
        for (int j = 1; j < n; j++)
        {
            h[j] = 1;
            h[j * n] = -1;
        }
        for (int i = 0; i < q; i++)
            for (int j = 0; j < q; j++)
            {
                int d = ((j - i) % q + q) % q;
                h[(i + 1) * n + j + 1] = (sbyte)(d == 0 ? 0 : square[d] ? 1 : -1);
            }
        for (int i = 0; i < n; i++) h[i * n + i] += 1;
        return h;
    }

    private static sbyte[] Kronecker(sbyte[] a, int na, sbyte[] b, int nb)
    {
        int n = na * nb;
        var k = new sbyte[n * n];
        for (int i = 0; i < na; i++)
            for (int j = 0; j < na; j++)
            {
                sbyte v = a[i * na + j];
                for (int r = 0; r < nb; r++)
                    for (int c = 0; c < nb; c++) k[(i * nb + r) * n + j * nb + c] = (sbyte)(v * b[r * nb + c]);
            }
        return k;
    }
}
