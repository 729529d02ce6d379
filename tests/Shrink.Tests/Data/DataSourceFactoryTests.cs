using Shrink.Data;
using Shrink.Model;
using StbImageWriteSharp;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Data;

public sealed class DataSourceFactoryTests : IDisposable
{
    private static readonly ModelInputSpec[] Mnist = [FloatInput(null, 1, 2, 2)];
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static DataOptions Options => new();

    private string Images(string name, bool gzip = true) =>
        Write(_dir.PathOf(name), Idx(0x803, [3, 2, 2], Pattern(12)), gzip);

    [Fact]
    public void Random_spec_opens_random_data()
    {
        using var source = DataSourceFactory.Open("random:12", Options with { Seed = 3 }, Mnist);

        Assert.IsType<RandomDataSource>(source);
        Assert.Equal(12, source.Count);
    }

    [Theory]
    [InlineData("random:0")]
    [InlineData("random:-4")]
    [InlineData("random:ten")]
    [InlineData("random:")]
    public void Random_count_must_be_a_positive_integer(string spec)
    {
        var e = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(spec, Options, Mnist));
        Assert.Contains(spec, e.Message);
    }

    [Fact]
    public void Idx_finds_its_labels_by_the_mnist_naming_convention()
    {
        string images = Images("t10k-images-idx3-ubyte.gz");
        Write(_dir.PathOf("t10k-labels-idx1-ubyte.gz"), Idx(0x801, [3], [4, 5, 6]), gzip: true);

        using var source = DataSourceFactory.Open(images, Options, Mnist);

        Assert.IsType<IdxDataSource>(source);
        Assert.Contains("t10k-labels-idx1-ubyte.gz", source.Description);
        Assert.Equal([4, 5, 6], source.ReadBatches(5).Single().Labels!);
    }

    [Fact]
    public void Idx_without_a_labels_file_has_no_labels()
    {
        using var source = DataSourceFactory.Open(Images("train-images-idx3-ubyte", gzip: false), Options, Mnist);

        Assert.False(source.HasLabels);
    }

    [Fact]
    public void Explicit_labels_path_wins()
    {
        string labels = Write(_dir.PathOf("mine.idx"), Idx(0x801, [3], [1, 2, 3]));

        using var source = DataSourceFactory.Open(Images("data.gz"), Options with { LabelsPath = labels }, Mnist);

        Assert.Equal([1, 2, 3], source.ReadBatches(3).Single().Labels!);
    }

    [Fact]
    public void Npy_and_folders_are_recognised()
    {
        string npy = Write(_dir.PathOf("x.npy"), DataFixtures.Npy("|u1", [2, 2, 2], new byte[8]));
        WritePng(_dir.PathOf("folder", "c", "a.png"), new byte[4], 2, 2, ColorComponents.Grey);

        using var fromNpy = DataSourceFactory.Open(npy, Options, Mnist);
        using var fromFolder = DataSourceFactory.Open(_dir.PathOf("folder"), Options, Mnist);

        Assert.IsType<NpyDataSource>(fromNpy);
        Assert.IsType<ImageFolderDataSource>(fromFolder);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        string path = _dir.PathOf("nowhere.gz");

        var e = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, Options, Mnist));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Unrecognised_file_is_named()
    {
        string path = Write(_dir.PathOf("notes.txt"), "hello world"u8.ToArray());

        var e = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(path, Options, Mnist));
        Assert.Contains("notes.txt", e.Message);
    }

    [Fact]
    public void Unknown_input_name_lists_the_models_inputs()
    {
        var options = Options with { Preprocessing = new Preprocessing { InputName = "pixels" } };

        var e = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(Images("i.gz"), options, Mnist));
        Assert.Contains("'pixels'", e.Message);
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public void Several_inputs_need_a_name_unless_random()
    {
        ModelInputSpec[] two = [FloatInput(null, 1, 2, 2), Input("scale", ElementType.Float, null, 1)];
        string images = Images("i.gz");

        var e = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(images, Options, two));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("'scale'", e.Message);
        // Named, the data feeds 'x'; 'scale' cannot be derived from it, so the open fails naming it (not the first run).
        var unfed = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(images, Options with { Preprocessing = new Preprocessing { InputName = "x" } }, two));
        Assert.Contains("'scale'", unfed.Message);
        using var random = DataSourceFactory.Open("random:2", Options, two);
        Assert.Equal(2, random.ReadBatches(2).Single().Inputs.Count);
    }
}
