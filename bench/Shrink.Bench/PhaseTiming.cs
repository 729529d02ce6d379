namespace Shrink.Bench;

/// <summary>One phase of a load or save measured in the child process: seconds, and resident memory after it (MiB).</summary>
internal sealed record PhaseTiming(string Name, double Seconds, double RssMiB, double PeakRssMiB);
