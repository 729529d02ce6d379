using System.Globalization;
using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

public sealed class OnnxModelWriterTests
{
    private static Dictionary<string, TensorProto> Inputs(int features) =>
        new() { ["input"] = TinyModels.FloatTensor("input", [3, features], TinyModels.RandomFloats(3 * features, 42)) };

    [Fact]
    public void External_data_always_writes_a_data_file_that_reloads_to_the_same_bytes_and_runs_like_the_inline_model()
    {
        using var dir = new TempDirectory();
        var proto = TinyModels.MatMulReluAdd(inFeatures: 64, outFeatures: 32); // W: 8 KiB, b: 128 bytes
        var model = OnnxModel.FromProto(proto.Clone());
        string path = dir.File("model.onnx");

        model.Save(path, new ModelSaveOptions { ExternalData = ExternalDataMode.Always });

        Assert.Equal(["model.onnx", "model.onnx.data"], dir.ListFiles());
        // The file itself points W at the data file; b is under ExternalMinTensorBytes and stays inline.
        var saved = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var w = saved.Graph.Initializer.Single(t => t.Name == "W");
        Assert.Equal(TensorProto.Types.DataLocation.External, w.DataLocation);
        Assert.True(w.RawData.IsEmpty);
        var entries = w.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("model.onnx.data", entries["location"]);
        long offset = long.Parse(entries["offset"], CultureInfo.InvariantCulture);
        int length = int.Parse(entries["length"], CultureInfo.InvariantCulture);
        var originalW = proto.Graph.Initializer.Single(t => t.Name == "W").RawData.ToByteArray();
        Assert.Equal(originalW.Length, length);
        var data = File.ReadAllBytes(dir.File("model.onnx.data"));
        Assert.Equal(originalW, data.AsSpan((int)offset, length).ToArray());
        var b = saved.Graph.Initializer.Single(t => t.Name == "b");
        Assert.Equal(TensorProto.Types.DataLocation.Default, b.DataLocation);
        Assert.Equal(proto.Graph.Initializer.Single(t => t.Name == "b").RawData, b.RawData);

        // Reloading brings every tensor back with identical bytes.
        var reloaded = OnnxModel.Load(path);
        Assert.Equal([Path.GetFullPath(dir.File("model.onnx.data"))], reloaded.ExternalDataFiles);
        foreach (var t in proto.Graph.Initializer)
        {
            var back = reloaded.Graph.Initializers[t.Name];
            Assert.Equal(t.RawData.ToByteArray(), back.RawBytes.ToArray());
            Assert.Equal(t.Dims, back.Dims);
        }

        // ONNX Runtime reads the external file and computes exactly what the inline model computes.
        var inline = OrtRunner.RunOnce(proto.ToByteArray(), Inputs(64));
        var external = OrtRunner.RunOnce(path, Inputs(64));
        Assert.Single(inline);
        Assert.Null(TensorCompare.BitIdentical(inline[0], external[0]));
    }

    [Fact]
    public void Saving_with_external_data_leaves_the_model_in_memory_unchanged()
    {
        using var dir = new TempDirectory();
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd(inFeatures: 64, outFeatures: 32));
        var before = model.Proto.Clone();

        model.Save(dir.File("a.onnx"), new ModelSaveOptions { ExternalData = ExternalDataMode.Always, ExternalMinTensorBytes = 0 });

        Assert.Equal(before, model.Proto);
        Assert.All(model.Proto.Graph.Initializer, t =>
        {
            Assert.Equal(TensorProto.Types.DataLocation.Default, t.DataLocation);
            Assert.Empty(t.ExternalData);
            Assert.False(t.RawData.IsEmpty);
        });
        // And it can still be saved inline, giving exactly the bytes it would have given before.
        model.Save(dir.File("inline.onnx"), new ModelSaveOptions { ExternalData = ExternalDataMode.Never });
        Assert.Equal(before.ToByteArray(), File.ReadAllBytes(dir.File("inline.onnx")));
    }

    [Fact]
    public void External_min_tensor_bytes_zero_moves_every_tensor_and_a_custom_data_file_name_is_used()
    {
        using var dir = new TempDirectory();
        var proto = TinyModels.MatMulReluAdd();
        var model = OnnxModel.FromProto(proto.Clone());

        model.Save(dir.File("m.onnx"), new ModelSaveOptions { ExternalData = ExternalDataMode.Always, ExternalMinTensorBytes = 0, ExternalDataFileName = "weights.bin" });

        Assert.Equal(["m.onnx", "weights.bin"], dir.ListFiles());
        var saved = ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("m.onnx")));
        Assert.All(saved.Graph.Initializer, t =>
        {
            Assert.Equal(TensorProto.Types.DataLocation.External, t.DataLocation);
            Assert.Equal("weights.bin", t.ExternalData.Single(e => e.Key == "location").Value);
        });
        var reloaded = OnnxModel.Load(dir.File("m.onnx"));
        foreach (var t in proto.Graph.Initializer)
            Assert.Equal(t.RawData.ToByteArray(), reloaded.Graph.Initializers[t.Name].RawBytes.ToArray());
        Assert.Null(TensorCompare.BitIdentical(
            OrtRunner.RunOnce(proto.ToByteArray(), Inputs(4))[0],
            OrtRunner.RunOnce(dir.File("m.onnx"), Inputs(4))[0]));
    }

    [Fact]
    public void Auto_mode_keeps_a_small_model_in_one_file()
    {
        using var dir = new TempDirectory();
        var proto = TinyModels.MatMulReluAdd(inFeatures: 64, outFeatures: 32);
        OnnxModel.FromProto(proto.Clone()).Save(dir.File("m.onnx"));
        Assert.Equal(["m.onnx"], dir.ListFiles());
        Assert.Equal(proto.ToByteArray(), File.ReadAllBytes(dir.File("m.onnx")));
    }

    [Fact]
    public void A_model_loaded_from_external_data_saves_inline_elsewhere()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("out"));
        var proto = TinyModels.MatMulReluAdd(inFeatures: 64, outFeatures: 32);
        OnnxModel.FromProto(proto.Clone()).Save(dir.File("ext.onnx"), new ModelSaveOptions { ExternalData = ExternalDataMode.Always });

        OnnxModel.Load(dir.File("ext.onnx")).Save(dir.File("out/inline.onnx"), new ModelSaveOptions { ExternalData = ExternalDataMode.Never });

        Assert.Equal(["inline.onnx"], Directory.GetFiles(dir.File("out")).Select(Path.GetFileName));
        var inline = ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("out/inline.onnx")));
        Assert.Equal(proto.Graph.Initializer, inline.Graph.Initializer);
    }

    [Fact]
    public void A_data_file_name_that_escapes_the_folder_is_refused_and_nothing_is_left_behind()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("out"));
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd(inFeatures: 64, outFeatures: 32));

        var e = Assert.Throws<ShrinkException>(() => model.Save(dir.File("out/m.onnx"),
            new ModelSaveOptions { ExternalData = ExternalDataMode.Always, ExternalDataFileName = "../escape.data" }));

        Assert.Contains("../escape.data", e.Message, StringComparison.Ordinal);
        Assert.Empty(dir.ListFiles());
    }
}
