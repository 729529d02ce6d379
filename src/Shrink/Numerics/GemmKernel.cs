using System.Runtime.Intrinsics;

namespace Shrink.Numerics;

/// <summary>
/// A GEMM micro-kernel and the blocking that suits it. <see cref="Mr"/>×<see cref="Nr"/> is the register tile of C;
/// <see cref="Kc"/> keeps a packed Nr-wide sliver of B in L1, <see cref="Mc"/>×<see cref="Kc"/> of packed A fits in L2 and
/// <see cref="Kc"/>×<see cref="Nc"/> of packed B in L3 (the Goto/BLIS scheme).
/// </summary>
internal sealed unsafe class GemmKernel
{
    private static readonly GemmKernel V512 = new(GemmKernelKind.Vector512, 8, 32, 256, 256, 4096, &GemmKernels.Kernel512);
    private static readonly GemmKernel V256 = new(GemmKernelKind.Vector256, 6, 16, 192, 256, 4096, &GemmKernels.Kernel256);
    private static readonly GemmKernel V128 = new(GemmKernelKind.Vector128, 8, 8, 128, 256, 2048, &GemmKernels.Kernel128);
    private static readonly GemmKernel ScalarKernel = new(GemmKernelKind.Scalar, 4, 4, 128, 256, 2048, &GemmKernels.KernelScalar);

    private GemmKernel(GemmKernelKind kind, int mr, int nr, int mc, int kc, int nc,
        delegate*<float*, float*, int, float*, int, float, float, void> compute)
    {
        Kind = kind;
        Mr = mr;
        Nr = nr;
        Mc = mc;
        Kc = kc;
        Nc = nc;
        Compute = compute;
    }

    /// <summary>The widest kernel this machine accelerates.</summary>
    public static GemmKernel Best { get; } =
        Vector512.IsHardwareAccelerated ? V512
        : Vector256.IsHardwareAccelerated ? V256
        : Vector128.IsHardwareAccelerated ? V128
        : ScalarKernel;

    public GemmKernelKind Kind { get; }

    /// <summary>Rows of the register tile (height of a packed A sliver).</summary>
    public int Mr { get; }

    /// <summary>Columns of the register tile (width of a packed B sliver).</summary>
    public int Nr { get; }

    /// <summary>Rows of op(A) packed at once (a multiple of <see cref="Mr"/>).</summary>
    public int Mc { get; }

    /// <summary>Depth of one packed panel.</summary>
    public int Kc { get; }

    /// <summary>Columns of op(B) packed at once (a multiple of <see cref="Nr"/>).</summary>
    public int Nc { get; }

    /// <summary>
    /// C[Mr×Nr] = beta·C + alpha·Apacked·Bpacked over <c>kc</c> steps; beta == 0 writes without reading C. A sliver is
    /// kc groups of Mr floats, a B sliver kc groups of Nr floats.
    /// </summary>
    public delegate*<float*, float*, int, float*, int, float, float, void> Compute { get; }

    /// <summary>Whether <paramref name="kind"/> runs with hardware acceleration here (tests only run those).</summary>
    public static bool IsAccelerated(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Vector512 => Vector512.IsHardwareAccelerated,
        GemmKernelKind.Vector256 => Vector256.IsHardwareAccelerated,
        GemmKernelKind.Vector128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>The kernel of the given family.</summary>
    public static GemmKernel Get(GemmKernelKind kind) => kind switch
    {
        GemmKernelKind.Vector512 => V512,
        GemmKernelKind.Vector256 => V256,
        GemmKernelKind.Vector128 => V128,
        _ => ScalarKernel,
    };
}
