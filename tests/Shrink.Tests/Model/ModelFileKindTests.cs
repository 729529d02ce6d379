using System.Globalization;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>
/// Model and external-data paths that are empty, hold NUL, or name something other than a regular file are refused
/// with a <see cref="ShrinkException"/> (and without opening a FIFO, which would block forever).
/// </summary>
public sealed class ModelFileKindTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    // x [2,2] → Add(x, W) → y with W ([2,2] float) stored externally at `location`.
    private string WriteExternalModel(string location)
    {
        var w = new TensorProto { Name = "W", DataType = TinyModels.Float, DataLocation = TensorProto.Types.DataLocation.External };
        w.Dims.AddRange([2, 2]);
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = 16.ToString(CultureInfo.InvariantCulture) });
        var graph = new GraphProto { Name = "external" };
        graph.Input.Add(TinyModels.FloatInfo("x", 2, 2));
        graph.Output.Add(TinyModels.FloatInfo("y", 2, 2));
        graph.Initializer.Add(w);
        graph.Node.Add(TinyModels.Node("Add", ["x", "W"], ["y"], "add"));
        return TinyModels.WriteTo(TinyModels.BuildModel(graph), _temp.File("model.onnx"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_model_path_is_refused(string path)
    {
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));
        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_path_with_a_nul_character_is_refused()
    {
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load("model\0.onnx"));
        Assert.Contains("NUL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_as_model_path_is_refused()
    {
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(_temp.Path));
        Assert.Contains("folder", e.Message, StringComparison.Ordinal);
    }

    [UnixFact]
    public void A_fifo_as_model_path_is_refused_without_blocking()
    {
        string fifo = SpecialFiles.Fifo(_temp.File("model.onnx"));
        var e = SpecialFiles.ThrowsWithoutBlocking(() => OnnxModel.Load(fifo), fifo);
        var refusal = Assert.IsType<ShrinkException>(e);
        Assert.Contains("model.onnx", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("FIFO", refusal.Message, StringComparison.Ordinal);
    }

    [UnixFact]
    public void A_device_as_model_path_is_refused()
    {
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load("/dev/zero"));
        Assert.Contains("/dev/zero", e.Message, StringComparison.Ordinal);
        Assert.Contains("character device", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_external_data_location_with_a_nul_character_is_refused_naming_the_tensor()
    {
        string model = WriteExternalModel("w\0.bin");
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(model));
        Assert.Contains("'W'", e.Message, StringComparison.Ordinal);
        Assert.Contains("NUL", e.Message, StringComparison.Ordinal);
    }

    [UnixFact]
    public void An_external_data_fifo_is_refused_without_blocking()
    {
        string fifo = SpecialFiles.Fifo(_temp.File("w.bin"));
        string model = WriteExternalModel("w.bin");
        var e = SpecialFiles.ThrowsWithoutBlocking(() => OnnxModel.Load(model), fifo);
        var refusal = Assert.IsType<ShrinkException>(e);
        Assert.Contains("'W'", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("FIFO", refusal.Message, StringComparison.Ordinal);
    }

    [UnixFact]
    public void An_external_data_socket_or_folder_is_refused_naming_the_tensor()
    {
        using var listening = SpecialFiles.Socket(_temp.File("sock.bin"));
        var socket = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteExternalModel("sock.bin")));
        Assert.Contains("'W'", socket.Message, StringComparison.Ordinal);
        Assert.Contains("socket", socket.Message, StringComparison.Ordinal);

        Directory.CreateDirectory(_temp.File("weights"));
        var folder = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteExternalModel("weights")));
        Assert.Contains("'W'", folder.Message, StringComparison.Ordinal);
        Assert.Contains("folder", folder.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_regular_external_data_file_still_loads()
    {
        File.WriteAllBytes(_temp.File("w.bin"), new byte[16]);
        var model = OnnxModel.Load(WriteExternalModel("w.bin"));
        Assert.Equal([2L, 2L], model.Graph.Initializers["W"].Dims);
    }
}
