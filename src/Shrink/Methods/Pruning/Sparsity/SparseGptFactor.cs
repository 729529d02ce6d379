namespace Shrink.Methods.Pruning.Sparsity;

/// <summary>
/// What SparseGPT needs from a layer's input: the upper Cholesky factor of the dampened inverse Hessian, row-major
/// [cols × cols], and the inputs that are always zero (pruned first). Read-only once made.
/// </summary>
/// <param name="Cols">The reduction length K.</param>
/// <param name="UpperInverse">U with H⁻¹ = UᵀU.</param>
/// <param name="Dead">Per input column: never nonzero on the calibration data.</param>
public sealed record SparseGptFactor(int Cols, float[] UpperInverse, bool[] Dead);
