namespace Shrink.Bench;

/// <summary>
/// Load and save timings of one model: medians over repetitions in the benchmark process (warm JIT and heap) and in
/// fresh child processes (cold, as a CLI run would be), the children's peak memory, and the phase breakdown.
/// </summary>
internal sealed record IoResult(
    double LoadSeconds,
    double SaveSeconds,
    double LoadSaveSeconds,
    int Repetitions,
    double ColdLoadSeconds,
    double ColdSaveSeconds,
    double ColdLoadSaveSeconds,
    double ChildBaselineMiB,
    double ChildPeakMiB,
    IReadOnlyList<PhaseTiming> Phases);
