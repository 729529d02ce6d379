namespace Shrink.Bench;

/// <summary>Everything measured for one generated model.</summary>
internal sealed record ModelResult(
    string Name,
    long Parameters,
    long ExpectedParameters,
    long FileBytes,
    double GenerateSeconds,
    IoResult Io,
    double SessionSeconds,
    IReadOnlyList<LatencyRow> Latency,
    RoundTripResult? RoundTrip)
{
    /// <summary>Relative difference between the parameter count and the reference count.</summary>
    public double ParameterDeviation => Math.Abs(Parameters - ExpectedParameters) / (double)ExpectedParameters;

    /// <summary>Peak resident memory of the load+save child divided by the model file size.</summary>
    public double PeakToSize => Io.ChildPeakMiB / Stats.MiB(FileBytes);
}
