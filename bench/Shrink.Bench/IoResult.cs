namespace Shrink.Bench;

/// <summary>Load and save timings of one model (medians over repetitions) and the child process's peak memory.</summary>
internal sealed record IoResult(
    double LoadSeconds,
    double SaveSeconds,
    double LoadSaveSeconds,
    int Repetitions,
    double ChildLoadSeconds,
    double ChildSaveSeconds,
    double ChildBaselineMiB,
    double ChildPeakMiB,
    IReadOnlyList<PhaseTiming> Phases);
