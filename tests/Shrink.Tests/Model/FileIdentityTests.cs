using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

public class FileIdentityTests
{
    [Fact]
    public void Symlinks_and_relative_paths_name_the_same_file()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("a.txt"), "a");
        File.CreateSymbolicLink(dir.File("link.txt"), dir.File("a.txt"));
        Directory.CreateSymbolicLink(dir.File("alias"), dir.Path);
        var a = FileIdentity.Of(dir.File("a.txt"));
        Assert.True(a.SameFileAs(FileIdentity.Of(dir.File("link.txt"))));
        Assert.True(a.SameFileAs(FileIdentity.Of(Path.Combine(dir.File("alias"), "a.txt"))));
        Assert.True(a.SameFileAs(FileIdentity.Of(Path.Combine(dir.Path, "x", "..", "a.txt"))));
        File.WriteAllText(dir.File("b.txt"), "a");
        Assert.False(a.SameFileAs(FileIdentity.Of(dir.File("b.txt"))));
    }

    [Fact]
    public void Paths_that_do_not_exist_yet_resolve_through_their_existing_folder()
    {
        using var dir = new TempDirectory();
        Directory.CreateSymbolicLink(dir.File("alias"), dir.Path);
        Assert.True(FileIdentity.Of(Path.Combine(dir.File("alias"), "new", "x.onnx")).SameFileAs(FileIdentity.Of(dir.File("new", "x.onnx"))));
        Assert.False(FileIdentity.Of(dir.File("new", "x.onnx")).HasInode);
    }

    [Fact]
    public void Fifos_and_devices_are_not_regular_files()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("a.txt"), "a");
        var mk = System.Diagnostics.Process.Start("mkfifo", [dir.File("pipe")])!;
        mk.WaitForExit();
        Assert.True(FileIdentity.IsRegularFile(dir.File("a.txt")));
        Assert.False(FileIdentity.IsRegularFile(dir.File("pipe")));
        Assert.False(FileIdentity.IsRegularFile("/dev/null"));
        Assert.False(FileIdentity.IsRegularFile(dir.Path));
        Assert.False(FileIdentity.IsRegularFile(dir.File("missing")));
    }
}
