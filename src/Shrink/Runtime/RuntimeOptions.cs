namespace Shrink.Runtime;

/// <summary>How ONNX Runtime sessions are created.</summary>
public sealed record RuntimeOptions
{
    /// <summary>Intra-op threads. Default 1: on small machines two threads give bimodal timings, so comparisons use one.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Enable ORT's graph optimizations (fusions); off only to look at the graph as written.</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>When set, ORT writes the optimized graph here (used to check which QDQ nodes it fused).</summary>
    public string? OptimizedModelPath { get; init; }
}
