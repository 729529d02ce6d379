using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>Telling regular files from FIFOs, devices, sockets and folders without opening them.</summary>
public sealed class FileKindTests
{
    [Fact]
    public void A_regular_file_a_link_to_one_and_a_missing_path_are_not_flagged()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("plain.bin"), [1, 2, 3]);
        File.CreateSymbolicLink(dir.File("link.bin"), dir.File("plain.bin"));

        Assert.Null(FileKind.NotRegular(dir.File("plain.bin")));
        Assert.Null(FileKind.NotRegular(dir.File("link.bin")));
        Assert.Null(FileKind.NotRegular(dir.File("missing.bin")));
    }

    [UnixFact]
    public void Folders_fifos_sockets_and_devices_are_named()
    {
        using var dir = new TempDirectory();

        Assert.Equal("a folder", FileKind.NotRegular(dir.Path));
        Assert.Equal("a FIFO (named pipe)", FileKind.NotRegular(SpecialFiles.Fifo(dir.File("pipe"))));
        using (SpecialFiles.Socket(dir.File("sock")))
            Assert.Equal("a socket", FileKind.NotRegular(dir.File("sock")));
        Assert.Equal("a character device", FileKind.NotRegular("/dev/null"));
    }
}
