namespace Shrink.Numerics;

/// <summary>
/// How far a layer's output moves when its weight W [rows × cols] is replaced by Ŵ (rounded, pruned, factored), measured
/// from the second moments of its inputs (H = XᵀX) without running the model, and the float target that corrects the
/// drift of the inputs.
/// </summary>
public static class OutputError
{
    /// <summary>‖(W − Ŵ)X‖² / ‖WX‖² from H = XᵀX: tr(ΔW·H·ΔWᵀ) / tr(W·H·Wᵀ).</summary>
    public static double Relative(float[] w, float[] wq, float[] h, int rows, int cols)
    {
        var delta = new float[w.Length];
        for (int i = 0; i < w.Length; i++) delta[i] = w[i] - wq[i];
        double num = Quadratic(delta, h, rows, cols), den = Quadratic(w, h, rows, cols);
        return den > 0 ? num / den : 0;
    }

    /// <summary>
    /// ‖W·X_f − Ŵ·X_q‖² / ‖W·X_f‖²: the layer's output on the quantized model's inputs against the float layer's on the
    /// float model's, from H_f = X_fᵀX_f, H = X_qᵀX_q and C = X_fᵀX_q.
    /// </summary>
    public static double Relative(float[] w, float[] floatHessian, float[] wq, float[] h, float[] cross, int rows, int cols)
    {
        double reference = Quadratic(w, floatHessian, rows, cols);
        var wc = new float[(long)rows * cols];
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, w, 0, cols, cross, 0, cols, 0f, wc, 0, cols);
        double mixed = 0;
        for (long i = 0; i < wc.Length; i++) mixed += (double)wc[i] * wq[i];
        double num = reference - 2 * mixed + Quadratic(wq, h, rows, cols);
        return reference > 0 ? Math.Max(num, 0) / reference : 0;
    }

    private static double Quadratic(float[] m, float[] h, int rows, int cols)
    {
        var mh = new float[m.Length];
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, m, 0, cols, h, 0, cols, 0f, mh, 0, cols);
        double sum = 0;
        for (int i = 0; i < m.Length; i++) sum += (double)mh[i] * m[i];
        return sum;
    }

    /// <summary>
    /// The float weight W* = W·C·H⁻¹ that, fed the quantized model's inputs X_q, best reproduces what the float layer
    /// computes from the float model's inputs X_f (C = Σ x_f·x_qᵀ, H = Σ x_q·x_qᵀ): rounding W* under H then minimizes
    /// ‖W·X_f − Ŵ·X_q‖², so each layer also corrects the error the layers before it left (as in GPTAQ). Computed as
    /// W + W·(C − H)·(H + λI)⁻¹, which is W itself when the inputs agree.
    /// </summary>
    public static float[] FloatOutputTarget(float[] w, float[] h, float[] cross, int rows, int cols, double damp)
    {
        var diff = new float[(long)cols * cols];
        for (long i = 0; i < diff.Length; i++) diff[i] = cross[i] - h[i];
        var wd = new float[(long)rows * cols];
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, w, 0, cols, diff, 0, cols, 0f, wd, 0, cols);
        // (H + λI) = L·Lᵀ; Y = WD·(L·Lᵀ)⁻¹ = (WD·L⁻ᵀ)·L⁻¹.
        var l = (float[])h.Clone();
        double mean = 0;
        for (int i = 0; i < cols; i++) mean += h[(long)i * cols + i];
        mean = Math.Max(mean / cols, 1e-12);
        for (int i = 0; i < cols; i++)
        {
            if (h[(long)i * cols + i] == 0) l[(long)i * cols + i] = (float)mean;
            l[(long)i * cols + i] += (float)(damp * mean);
        }
        if (!DenseMatrix.TryCholesky(l, cols)) return w;
        DenseMatrix.InvertLowerTriangular(l, cols);
        var t = new float[(long)rows * cols];
        DenseMatrix.Gemm(false, true, rows, cols, cols, 1f, wd, 0, cols, l, 0, cols, 0f, t, 0, cols);
        var target = (float[])w.Clone();
        DenseMatrix.Gemm(false, false, rows, cols, cols, 1f, t, 0, cols, l, 0, cols, 1f, target, 0, cols);
        return target;
    }
}
