using Shrink.Data;

namespace Shrink.Tests.Data;

public sealed class PreprocessingTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string BuildModel(string json)
    {
        File.WriteAllText(_dir.PathOf("cnn.preprocess.json"), json);
        return _dir.PathOf("cnn.onnx");
    }

    [Fact]
    public void Sidecar_sits_beside_the_model()
    {
        Assert.Equal(Path.Combine("dir", "cnn.preprocess.json"), Preprocessing.SidecarPath(Path.Combine("dir", "cnn.onnx")));
        Assert.Null(Preprocessing.LoadSidecar(_dir.PathOf("missing.onnx")));
    }

    [Fact]
    public void Sidecar_reads_every_key()
    {
        var p = Preprocessing.LoadSidecar(BuildModel("""
            {
              // comments and trailing commas are fine
              "input": "images", "layout": "nhwc", "scale": 0.00392157,
              "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
              "resize": [224, 320], "color": "RGB",
            }
            """))!;

        Assert.Equal("images", p.InputName);
        Assert.Equal(TensorLayout.NHWC, p.Layout);
        Assert.Equal(0.00392157f, p.Scale);
        Assert.Equal([0.485f, 0.456f, 0.406f], p.Mean);
        Assert.Equal([0.229f, 0.224f, 0.225f], p.Std);
        Assert.Equal(224, p.ResizeHeight);
        Assert.Equal(320, p.ResizeWidth);
        Assert.Equal(ColorMode.Rgb, p.Color);
    }

    [Fact]
    public void Sidecar_defaults_and_scalar_mean()
    {
        var p = Preprocessing.LoadSidecar(BuildModel("""{ "mean": 0.5 }"""))!;

        Assert.Equal([0.5f], p.Mean);
        Assert.Empty(p.Std);
        Assert.Equal(1f, p.Scale);
        Assert.Equal(TensorLayout.NCHW, p.Layout);
        Assert.Equal(ColorMode.Keep, p.Color);
        Assert.Null(p.InputName);
        Assert.Null(p.ResizeHeight);
    }

    [Theory]
    [InlineData("""{ "layout": "CHW" }""", "layout")]
    [InlineData("""{ "scale": "big" }""", "scale")]
    [InlineData("""{ "mean": [0.5, "x"] }""", "mean")]
    [InlineData("""{ "std": [1, 0, 1] }""", "std")]
    [InlineData("""{ "resize": [224] }""", "resize")]
    [InlineData("""{ "color": "sepia" }""", "color")]
    [InlineData("""{ "means": [0.5] }""", "means")]
    [InlineData("""{ "input": 3 }""", "input")]
    public void Malformed_sidecar_names_the_file_and_key(string json, string key)
    {
        string model = BuildModel(json);

        var e = Assert.Throws<ShrinkException>(() => Preprocessing.LoadSidecar(model));
        Assert.Contains("cnn.preprocess.json", e.Message);
        Assert.Contains($"'{key}'", e.Message);
    }

    [Fact]
    public void Invalid_json_names_the_file()
    {
        string model = BuildModel("{ \"scale\": ");

        var e = Assert.Throws<ShrinkException>(() => Preprocessing.LoadSidecar(model));
        Assert.Contains("cnn.preprocess.json", e.Message);
    }
}
