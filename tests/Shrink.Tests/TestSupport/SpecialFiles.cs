using System.Diagnostics;
using System.Net.Sockets;

namespace Shrink.Tests.TestSupport;

/// <summary>Makes file system entries that are not regular files (FIFOs, sockets) for tests of code that must not open them.</summary>
internal static class SpecialFiles
{
    /// <summary>Creates a FIFO (named pipe) at <paramref name="path"/> with <c>mkfifo</c>.</summary>
    public static string Fifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return path;
    }

    /// <summary>Binds a Unix domain socket at <paramref name="path"/>; .NET deletes the file when the socket is disposed.</summary>
    public static System.Net.Sockets.Socket Socket(string path)
    {
        var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    /// <summary>
    /// Runs <paramref name="action"/> and returns what it threw; if it is still blocked after 30 s (as a read of a FIFO
    /// blocks until a writer opens it), opens <paramref name="fifo"/> for writing to release it and fails the test.
    /// </summary>
    public static Exception? ThrowsWithoutBlocking(Action action, string fifo)
    {
        var task = Task.Run(() =>
        {
            try
            {
                action();
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        });
        if (!task.Wait(TimeSpan.FromSeconds(30)))
        {
            using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
            Assert.Fail($"the call blocked on the FIFO '{fifo}'.");
        }
        return task.Result;
    }
}
