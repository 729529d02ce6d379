using System.Globalization;
using System.Runtime.InteropServices;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

/// <summary>
/// Hand-made models whose initializer 'W' ([2,2] float, 16 bytes) lives in an external file. The model sits in
/// TEMP/model/model.onnx, so '..' leads to TEMP, outside the model's folder.
/// </summary>
public sealed class ExternalDataResolverTests : IDisposable
{
    private static readonly float[] Weights = [1.5f, -2f, 0.25f, 8f];
    private readonly TempDirectory _temp = new();

    public ExternalDataResolverTests() => Directory.CreateDirectory(ModelDir);

    public void Dispose() => _temp.Dispose();

    private string ModelDir => _temp.File("model");

    private string ModelPath => Path.Combine(ModelDir, "model.onnx");

    private static byte[] WeightBytes => MemoryMarshal.AsBytes(Weights.AsSpan()).ToArray();

    // input x [2,2] → Add(x, W) → y
    private string WriteModel(string location, long? offset = null, long? length = null)
    {
        var w = new TensorProto { Name = "W", DataType = TinyModels.Float, DataLocation = TensorProto.Types.DataLocation.External };
        w.Dims.AddRange([2, 2]);
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is long o) w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = o.ToString(CultureInfo.InvariantCulture) });
        if (length is long l) w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString(CultureInfo.InvariantCulture) });
        var graph = new GraphProto { Name = "external" };
        graph.Input.Add(TinyModels.FloatInfo("x", 2, 2));
        graph.Output.Add(TinyModels.FloatInfo("y", 2, 2));
        graph.Initializer.Add(w);
        graph.Node.Add(TinyModels.Node("Add", ["x", "W"], ["y"], "add"));
        return TinyModels.WriteTo(TinyModels.BuildModel(graph), ModelPath);
    }

    private static void AssertNamesTheTensorOrLocation(ShrinkException e, string location)
    {
        Assert.Contains("model.onnx", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains("'W'", StringComparison.Ordinal) || e.Message.Contains(location, StringComparison.Ordinal),
            $"The message names neither the tensor nor the location: {e.Message}");
    }

    [Fact]
    public void A_valid_location_in_a_subfolder_loads_and_runs_in_onnx_runtime()
    {
        Directory.CreateDirectory(Path.Combine(ModelDir, "weights"));
        File.WriteAllBytes(Path.Combine(ModelDir, "weights", "w.bin"), WeightBytes);
        string path = WriteModel("weights/w.bin");

        var model = OnnxModel.Load(path);

        var w = model.Graph.Initializers["W"];
        Assert.Equal(WeightBytes, w.RawBytes.ToArray());
        Assert.Equal(Weights, w.ToFloatArray());
        Assert.Equal(TensorProto.Types.DataLocation.Default, w.Proto.DataLocation);
        Assert.Equal([Path.Combine(ModelDir, "weights", "w.bin")], model.ExternalDataFiles);
        // The fixture is a model ORT accepts too: y = x + W.
        var x = new float[] { 1, 2, 3, 4 };
        var y = OrtRunner.RunOnce(path, new Dictionary<string, TensorProto> { ["x"] = TinyModels.FloatTensor("x", [2, 2], x) });
        Assert.Equal(x.Zip(Weights, (a, b) => a + b).ToArray(), MemoryMarshal.Cast<byte, float>(y[0].Bytes).ToArray());
    }

    [Fact]
    public void Offset_and_length_select_a_slice_of_a_shared_file()
    {
        var file = new byte[100];
        WeightBytes.CopyTo(file, 40);
        File.WriteAllBytes(Path.Combine(ModelDir, "all.bin"), file);

        var model = OnnxModel.Load(WriteModel("all.bin", offset: 40, length: 16));

        Assert.Equal(Weights, model.Graph.Initializers["W"].ToFloatArray());
    }

    [Fact]
    public void A_parent_folder_location_is_refused()
    {
        File.WriteAllBytes(_temp.File("evil.bin"), WeightBytes);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("../evil.bin")));
        AssertNamesTheTensorOrLocation(e, "../evil.bin");
    }

    [Fact]
    public void An_absolute_location_is_refused()
    {
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("/etc/passwd")));
        AssertNamesTheTensorOrLocation(e, "/etc/passwd");
    }

    [Fact]
    public void A_subfolder_location_that_climbs_out_is_refused()
    {
        Directory.CreateDirectory(Path.Combine(ModelDir, "a"));
        File.WriteAllBytes(_temp.File("x"), WeightBytes);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("a/../../x")));
        AssertNamesTheTensorOrLocation(e, "a/../../x");
    }

    [Fact]
    public void A_symbolic_link_to_a_file_outside_the_folder_is_refused()
    {
        File.WriteAllBytes(_temp.File("outside.bin"), WeightBytes);
        File.CreateSymbolicLink(Path.Combine(ModelDir, "link.bin"), _temp.File("outside.bin"));
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("link.bin")));
        AssertNamesTheTensorOrLocation(e, "link.bin");
    }

    [Fact]
    public void A_symbolic_link_to_a_folder_outside_the_folder_is_refused()
    {
        Directory.CreateDirectory(_temp.File("elsewhere"));
        File.WriteAllBytes(Path.Combine(_temp.File("elsewhere"), "w.bin"), WeightBytes);
        Directory.CreateSymbolicLink(Path.Combine(ModelDir, "weights"), _temp.File("elsewhere"));
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("weights/w.bin")));
        AssertNamesTheTensorOrLocation(e, "weights/w.bin");
    }

    [Fact]
    public void A_symbolic_link_that_stays_inside_the_folder_is_followed()
    {
        Directory.CreateDirectory(Path.Combine(ModelDir, "real"));
        File.WriteAllBytes(Path.Combine(ModelDir, "real", "w.bin"), WeightBytes);
        File.CreateSymbolicLink(Path.Combine(ModelDir, "link.bin"), Path.Combine(ModelDir, "real", "w.bin"));

        var model = OnnxModel.Load(WriteModel("link.bin"));

        Assert.Equal(Weights, model.Graph.Initializers["W"].ToFloatArray());
    }

    [Fact]
    public void A_range_past_the_end_of_the_file_is_refused()
    {
        File.WriteAllBytes(Path.Combine(ModelDir, "w.bin"), WeightBytes);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("w.bin", offset: 8, length: 16)));
        AssertNamesTheTensorOrLocation(e, "w.bin");
    }

    [Fact]
    public void An_offset_past_the_end_of_the_file_is_refused()
    {
        File.WriteAllBytes(Path.Combine(ModelDir, "w.bin"), WeightBytes);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("w.bin", offset: 1000)));
        AssertNamesTheTensorOrLocation(e, "w.bin");
    }

    [Fact]
    public void A_length_that_does_not_match_the_dims_is_refused()
    {
        File.WriteAllBytes(Path.Combine(ModelDir, "w.bin"), [.. WeightBytes, .. WeightBytes]);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("w.bin", length: 32)));
        AssertNamesTheTensorOrLocation(e, "w.bin");
    }

    [Fact]
    public void A_file_shorter_than_the_dims_need_is_refused_when_no_length_is_given()
    {
        File.WriteAllBytes(Path.Combine(ModelDir, "w.bin"), WeightBytes[..8]);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("w.bin")));
        AssertNamesTheTensorOrLocation(e, "w.bin");
    }

    [Fact]
    public void A_missing_data_file_is_refused()
    {
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("missing.bin")));
        AssertNamesTheTensorOrLocation(e, "missing.bin");
    }

    [Fact]
    public void A_negative_or_malformed_offset_is_refused()
    {
        File.WriteAllBytes(Path.Combine(ModelDir, "w.bin"), WeightBytes);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(WriteModel("w.bin", offset: -4)));
        AssertNamesTheTensorOrLocation(e, "w.bin");
    }

    [Fact]
    public void External_data_read_from_a_stream_without_a_base_folder_is_refused()
    {
        File.WriteAllBytes(Path.Combine(ModelDir, "w.bin"), WeightBytes);
        using var stream = File.OpenRead(WriteModel("w.bin"));
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(stream, baseDirectory: null, displayName: "model.onnx"));
        Assert.Contains("model.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_data_read_from_a_stream_resolves_against_the_given_base_folder()
    {
        File.WriteAllBytes(Path.Combine(ModelDir, "w.bin"), WeightBytes);
        using var stream = File.OpenRead(WriteModel("w.bin"));
        var model = OnnxModel.Load(stream, ModelDir, "model.onnx");
        Assert.Equal(Weights, model.Graph.Initializers["W"].ToFloatArray());
        Assert.Null(model.SourcePath);
    }

    [Fact]
    public void Without_loading_external_data_the_reference_is_kept_and_the_file_is_not_read()
    {
        string path = WriteModel("not-there-yet.bin");
        var model = OnnxModel.Load(path, new ModelLoadOptions { LoadExternalData = false });
        var w = model.Graph.Initializers["W"];
        Assert.Equal(TensorProto.Types.DataLocation.External, w.Proto.DataLocation);
        Assert.Empty(model.ExternalDataFiles);
        Assert.Throws<InvalidOperationException>(() => w.RawBytes.ToArray());
    }
}
