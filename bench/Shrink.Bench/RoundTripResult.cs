namespace Shrink.Bench;

/// <summary>A save and reload with all large tensors in an external data file.</summary>
internal sealed record RoundTripResult(
    double SaveSeconds,
    double LoadSeconds,
    double LoadWithoutDataSeconds,
    int Repetitions,
    long ModelFileBytes,
    long DataFileBytes,
    int TensorsCompared,
    IReadOnlyList<string> Mismatches);
