using System.Diagnostics;
using Shrink.Data;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class FileProbeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Fifo(string name)
    {
        string path = _dir.PathOf(name);
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return path;
    }

    /// <summary>Runs <paramref name="open"/> with a deadline: the bug was a read that blocks forever on a FIFO.</summary>
    private static ShrinkException RefusedWithin10s(Action open)
    {
        var task = Task.Run(() => Assert.Throws<ShrinkException>(open));
        Assert.True(task.Wait(TimeSpan.FromSeconds(10)), "opening blocked instead of refusing");
        return task.Result;
    }

    [Fact]
    public void Kinds_are_told_apart_without_opening()
    {
        string file = Write(_dir.PathOf("data.bin"), [1, 2, 3]);
        string fifo = Fifo("pipe.npy");

        Assert.Null(FileProbe.NotRegular(file));
        Assert.Equal("a folder", FileProbe.NotRegular(_dir.Root));
        Assert.Equal("missing", FileProbe.NotRegular(_dir.PathOf("nothing")));
        Assert.Equal("a FIFO (named pipe)", FileProbe.NotRegular(fifo));
        Assert.Equal("a character device", FileProbe.NotRegular("/dev/null"));
    }

    [Fact]
    public void A_fifo_as_data_is_refused_before_it_is_opened()
    {
        string fifo = Fifo("images-idx3-ubyte");

        var e = RefusedWithin10s(() => DataSourceFactory.Open(fifo, new DataOptions(), [FloatInput(null, 4)]));
        Assert.Contains(fifo, e.Message);
        Assert.Contains("FIFO", e.Message);
        // The data sources refuse it too when built directly.
        RefusedWithin10s(() => new IdxDataSource(fifo, null, new Preprocessing(), FloatInput(null, 4)));
    }

    [Fact]
    public void A_fifo_or_a_folder_as_labels_is_refused_before_it_is_opened()
    {
        string data = Write(_dir.PathOf("d.npy"), Npy("|u1", [2, 4], Pattern(8)));
        string fifo = Fifo("labels.npy");

        var e = RefusedWithin10s(() => DataSourceFactory.Open(data, new DataOptions { LabelsPath = fifo }, [FloatInput(null, 4)]));
        Assert.Contains(fifo, e.Message);
        Assert.Contains("FIFO", e.Message);
        var folder = RefusedWithin10s(() => DataSourceFactory.Open(data, new DataOptions { LabelsPath = _dir.Root }, [FloatInput(null, 4)]));
        Assert.Contains("is a folder", folder.Message);
    }

    [Fact]
    public void A_device_as_data_is_refused()
    {
        var e = RefusedWithin10s(() => DataSourceFactory.Open("/dev/zero", new DataOptions(), [FloatInput(null, 4)]));
        Assert.Contains("/dev/zero", e.Message);
        Assert.Contains("character device", e.Message);
    }

    [Fact]
    public void A_fifo_among_the_images_of_a_folder_is_refused()
    {
        Fifo("a.png");

        var e = RefusedWithin10s(() => new ImageFolderDataSource(_dir.Root, new Preprocessing(), FloatInput(null, 1, 2, 2)));
        Assert.Contains("a.png", e.Message);
        Assert.Contains("FIFO", e.Message);
    }
}
