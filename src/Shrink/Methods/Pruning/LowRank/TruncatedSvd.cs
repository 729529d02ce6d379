namespace Shrink.Methods.Pruning.LowRank;

/// <summary>
/// The singular value decomposition of a float [rows × cols] matrix M, computed in double from the eigen-decomposition
/// (cyclic Jacobi) of the smaller Gram matrix (M·Mᵀ or Mᵀ·M). Singular values below ~1e-7 of the largest lose relative
/// precision this way; truncation discards them anyway.
/// </summary>
public sealed class TruncatedSvd
{
    private readonly double[] _m;
    private readonly double[] _vectors; // eigenvectors of the Gram matrix, one per column, [small × small]
    private readonly bool _wide;        // rows ≤ cols: Gram = M·Mᵀ, vectors are left singular vectors

    private TruncatedSvd(double[] m, int rows, int cols, double[] vectors, double[] values, bool wide)
    {
        _m = m;
        Rows = rows;
        Cols = cols;
        _vectors = vectors;
        SingularValues = values;
        _wide = wide;
    }

    /// <summary>Rows of M.</summary>
    public int Rows { get; }

    /// <summary>Columns of M.</summary>
    public int Cols { get; }

    /// <summary>σ, descending; min(rows, cols) of them.</summary>
    public double[] SingularValues { get; }

    /// <summary>Decomposes the row-major <paramref name="matrix"/> [<paramref name="rows"/> × <paramref name="cols"/>].</summary>
    public static TruncatedSvd Of(float[] matrix, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var m = new double[(long)rows * cols];
        for (long i = 0; i < m.LongLength; i++) m[i] = matrix[i];
        bool wide = rows <= cols;
        int n = wide ? rows : cols;
        var gram = new double[(long)n * n];
        if (wide)
        {
            for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++)
                {
                    var a = m.AsSpan(i * cols, cols);
                    var b = m.AsSpan(j * cols, cols);
                    double s = 0;
                    for (int k = 0; k < cols; k++) s += a[k] * b[k];
                    gram[(long)i * n + j] = gram[(long)j * n + i] = s;
                }
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                var row = m.AsSpan(r * cols, cols);
                for (int i = 0; i < n; i++)
                {
                    double x = row[i];
                    if (x == 0) continue;
                    var g = gram.AsSpan(i * n, i + 1);
                    for (int j = 0; j <= i; j++) g[j] += x * row[j];
                }
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < i; j++) gram[(long)j * n + i] = gram[(long)i * n + j];
        }
        var (values, vectors) = SymmetricEigen(gram, n);
        var sigma = values.Select(v => Math.Sqrt(Math.Max(v, 0))).ToArray();
        return new TruncatedSvd(m, rows, cols, vectors, sigma, wide);
    }

    /// <summary>Smallest rank whose σ² sum reaches <paramref name="energy"/> of the total (0 for a zero matrix).</summary>
    public int RankForEnergy(double energy)
    {
        double total = SingularValues.Sum(s => s * s);
        if (total == 0) return 0;
        double sum = 0;
        for (int r = 0; r < SingularValues.Length; r++)
        {
            sum += SingularValues[r] * SingularValues[r];
            if (sum >= energy * total * (1 - 1e-12)) return r + 1;
        }
        return SingularValues.Length;
    }

    /// <summary>Fraction of Σσ² the first <paramref name="rank"/> singular values hold.</summary>
    public double EnergyOf(int rank)
    {
        double total = SingularValues.Sum(s => s * s);
        return total == 0 ? 1 : SingularValues.Take(rank).Sum(s => s * s) / total;
    }

    /// <summary>
    /// M ≈ Left·Right with Left = U_r·√Σ_r [rows × rank] and Right = √Σ_r·V_rᵀ [rank × cols], in double, row-major.
    /// Components whose σ is zero come out as zeros.
    /// </summary>
    public (double[] Left, double[] Right) Factors(int rank)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rank, SingularValues.Length);
        int n = SingularValues.Length;
        var left = new double[(long)Rows * rank];
        var right = new double[(long)rank * Cols];
        double tiny = SingularValues.Length > 0 ? SingularValues[0] * 1e-12 : 0;
        for (int j = 0; j < rank; j++)
        {
            double s = SingularValues[j];
            if (s <= tiny) continue;
            double root = Math.Sqrt(s), inv = 1 / root;
            if (_wide)
            {
                // u = vectors[:, j]; Left[:, j] = u·√σ; Right[j, :] = uᵀM / √σ.
                for (int r = 0; r < Rows; r++)
                {
                    double u = _vectors[(long)r * n + j];
                    left[(long)r * rank + j] = u * root;
                    if (u == 0) continue;
                    var row = _m.AsSpan(r * Cols, Cols);
                    var target = right.AsSpan(j * Cols, Cols);
                    for (int c = 0; c < Cols; c++) target[c] += u * inv * row[c];
                }
            }
            else
            {
                // v = vectors[:, j]; Right[j, :] = √σ·vᵀ; Left[:, j] = M·v / √σ.
                for (int c = 0; c < Cols; c++) right[(long)j * Cols + c] = _vectors[(long)c * n + j] * root;
                for (int r = 0; r < Rows; r++)
                {
                    var row = _m.AsSpan(r * Cols, Cols);
                    double dot = 0;
                    for (int c = 0; c < Cols; c++) dot += row[c] * _vectors[(long)c * n + j];
                    left[(long)r * rank + j] = dot * inv;
                }
            }
        }
        return (left, right);
    }

    /// <summary>
    /// Eigenvalues (descending) and eigenvectors (column j of the row-major [n × n] result belongs to value j) of the
    /// symmetric <paramref name="a"/>, by cyclic Jacobi rotations in double. <paramref name="a"/> is overwritten.
    /// </summary>
    public static (double[] Values, double[] Vectors) SymmetricEigen(double[] a, int n)
    {
        ArgumentNullException.ThrowIfNull(a);
        var v = new double[(long)n * n];
        for (int i = 0; i < n; i++) v[(long)i * n + i] = 1;
        double norm = 0;
        for (long i = 0; i < (long)n * n; i++) norm += a[i] * a[i];
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++) off += a[(long)p * n + q] * a[(long)p * n + q];
            if (off <= 1e-30 * norm || off == 0) break;
            for (int p = 0; p < n - 1; p++)
            {
                for (int q = p + 1; q < n; q++)
                {
                    double apq = a[(long)p * n + q];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double app = a[(long)p * n + p], aqq = a[(long)q * n + q];
                    double theta = (aqq - app) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        if (k == p || k == q) continue;
                        double akp = a[(long)k * n + p], akq = a[(long)k * n + q];
                        double np = c * akp - s * akq, nq = s * akp + c * akq;
                        a[(long)k * n + p] = a[(long)p * n + k] = np;
                        a[(long)k * n + q] = a[(long)q * n + k] = nq;
                    }
                    a[(long)p * n + p] = app - t * apq;
                    a[(long)q * n + q] = aqq + t * apq;
                    a[(long)p * n + q] = a[(long)q * n + p] = 0;
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[(long)k * n + p], vkq = v[(long)k * n + q];
                        v[(long)k * n + p] = c * vkp - s * vkq;
                        v[(long)k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        var order = Enumerable.Range(0, n).OrderByDescending(i => a[(long)i * n + i]).ToArray();
        var values = order.Select(i => a[(long)i * n + i]).ToArray();
        var vectors = new double[(long)n * n];
        for (int k = 0; k < n; k++)
            for (int j = 0; j < n; j++) vectors[(long)k * n + j] = v[(long)k * n + order[j]];
        return (values, vectors);
    }
}
