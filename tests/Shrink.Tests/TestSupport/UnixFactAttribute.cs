namespace Shrink.Tests.TestSupport;

/// <summary>A fact about Unix file system entries (FIFOs, sockets, devices); skipped, visibly, on Windows.</summary>
internal sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
            Skip = "needs Unix FIFOs, sockets and devices";
    }
}
