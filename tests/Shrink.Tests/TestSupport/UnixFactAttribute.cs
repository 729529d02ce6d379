using System.Runtime.CompilerServices;

namespace Shrink.Tests.TestSupport;

/// <summary>A fact about Unix file system entries (FIFOs, sockets, devices); skipped, visibly, on Windows.</summary>
internal sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute([CallerFilePath] string file = "", [CallerMemberName] string method = "")
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "needs Unix FIFOs, sockets and devices";
            DisplayName = SkippedTestName.Of(Skip, file, method);
        }
    }
}
