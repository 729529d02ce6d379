using Microsoft.ML.OnnxRuntime;

namespace Shrink.Bench.Training;

/// <summary>The ONNX Runtime session settings the training benchmark compares (one intra-op thread always).</summary>
internal sealed record SessionTuning(string Label, GraphOptimizationLevel Level = GraphOptimizationLevel.ORT_ENABLE_ALL, bool MemoryPattern = true, bool Arena = true)
{
    public static readonly SessionTuning Default = new("default (all optimizations, memory pattern, arena)");

    public SessionOptions Options() => new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = Level,
        EnableMemoryPattern = MemoryPattern,
        EnableCpuMemArena = Arena,
    };

    public string Encode() => $"{(int)Level},{(MemoryPattern ? 1 : 0)},{(Arena ? 1 : 0)}";

    public static SessionTuning Decode(string text)
    {
        var p = text.Split(',');
        return new SessionTuning("custom", (GraphOptimizationLevel)int.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), p[1] == "1", p[2] == "1");
    }
}
