using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

public sealed class AtomicFileTests
{
    [Fact]
    public void A_write_that_fails_midway_leaves_no_file_and_no_temporary()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.bin");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[10_000]);
            throw new IOException("disk full (simulated)");
        }));

        Assert.Empty(dir.ListFiles());
    }

    [Fact]
    public void A_write_that_fails_keeps_the_previous_file_intact()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.bin");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write([9, 9, 9, 9, 9]);
            throw new InvalidOperationException("simulated");
        }));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["out.bin"], dir.ListFiles());
    }

    [Fact]
    public void A_successful_write_replaces_the_file_and_leaves_no_temporary()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.txt");
        File.WriteAllText(path, "old contents that are longer");

        AtomicFile.WriteAllText(path, "new");

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["out.txt"], dir.ListFiles());
    }

    [Fact]
    public void Writing_into_a_missing_folder_is_refused_naming_it()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "missing", "out.bin");
        var e = Assert.Throws<ShrinkException>(() => AtomicFile.Write(path, s => s.WriteByte(1)));
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
        Assert.Empty(dir.ListFiles());
    }
}
