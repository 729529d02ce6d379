using System.Security.Cryptography;
using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Model;

public sealed class OnnxModelTests
{
    private static readonly int[] CutPoints = [1, 2, 10, 100, 1000, 50_000, -1000, -2, -1];

    [Fact]
    public void A_truncated_model_is_refused_naming_the_file()
    {
        using var dir = new TempDirectory();
        var bytes = File.ReadAllBytes(RepoPaths.CnnSmall);
        foreach (int cut in CutPoints)
        {
            int length = cut > 0 ? cut : bytes.Length + cut;
            string path = dir.File($"truncated-{length}.onnx");
            File.WriteAllBytes(path, bytes[..length]);

            var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));

            Assert.Contains($"truncated-{length}.onnx", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 1000)]
    [InlineData(3, 64)]
    [InlineData(4, 4096)]
    [InlineData(5, 7)]
    [InlineData(6, 100_000)]
    [InlineData(7, 3)]
    [InlineData(8, 513)]
    public void Random_bytes_are_refused_naming_the_file(int seed, int length)
    {
        using var dir = new TempDirectory();
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        string path = dir.File($"random{seed}.onnx");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));

        Assert.Contains($"random{seed}.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_after_a_valid_model_header_are_refused()
    {
        // A real model's first 200 bytes followed by noise: the parser gets deep before failing.
        using var dir = new TempDirectory();
        var bytes = File.ReadAllBytes(RepoPaths.CnnSmall)[..4096];
        new Random(11).NextBytes(bytes.AsSpan(200));
        string path = dir.File("noisy.onnx");
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));
        Assert.Contains("noisy.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_is_refused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("empty.onnx");
        File.WriteAllBytes(path, []);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));
        Assert.Contains("empty.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_is_refused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("folder.onnx");
        Directory.CreateDirectory(path);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));
        Assert.Contains("folder.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_refused()
    {
        using var dir = new TempDirectory();
        string path = dir.File("missing.onnx");
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(path));
        Assert.Contains("missing.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_with_bytes_after_the_model_is_refused()
    {
        // An end-group tag (wire type 4) makes the parser stop early: what follows must not be silently ignored.
        var bytes = TinyModels.MatMulReluAdd().ToByteArray().Concat(new byte[] { 0x0C, 0x01, 0x02 }).ToArray();
        using var stream = new MemoryStream(bytes);
        var e = Assert.Throws<ShrinkException>(() => OnnxModel.Load(stream, null, "trailing.onnx"));
        Assert.Contains("trailing.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loading_and_saving_elsewhere_leaves_the_input_file_unchanged()
    {
        using var dir = new TempDirectory();
        string input = dir.File("input.onnx");
        File.Copy(RepoPaths.CnnSmall, input);
        byte[] before = SHA256.HashData(File.ReadAllBytes(input));
        var timeBefore = File.GetLastWriteTimeUtc(input);

        var model = OnnxModel.Load(input);
        model.Save(dir.File("output.onnx"));
        model.Save(dir.File("output-ext.onnx"), new ModelSaveOptions { ExternalData = ExternalDataMode.Always });

        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(input)));
        Assert.Equal(timeBefore, File.GetLastWriteTimeUtc(input));
        Assert.Equal(Path.GetFullPath(input), model.SourcePath);
    }

    [Fact]
    public void Saving_over_the_source_file_is_refused_and_the_file_is_kept()
    {
        using var dir = new TempDirectory();
        string path = TinyModels.WriteTo(TinyModels.MatMulReluAdd(), dir.File("model.onnx"));
        byte[] before = File.ReadAllBytes(path);
        var model = OnnxModel.Load(path);

        var e = Assert.Throws<ShrinkException>(() => model.Save(path));
        Assert.Contains("model.onnx", e.Message, StringComparison.Ordinal);
        // Through another spelling of the same path too.
        string other = Path.Combine(dir.Path, ".", "sub", "..", "model.onnx");
        Assert.Throws<ShrinkException>(() => model.Save(other));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], dir.ListFiles());
    }

    [Fact]
    public void A_clone_can_be_saved_over_the_source_file()
    {
        // The refusal guards the loaded object, not the path: a clone has no source.
        using var dir = new TempDirectory();
        string path = TinyModels.WriteTo(TinyModels.MatMulReluAdd(), dir.File("model.onnx"));
        var clone = OnnxModel.Load(path).Clone();
        Assert.Null(clone.SourcePath);
        clone.Save(path);
        Assert.Equal(TinyModels.MatMulReluAdd().ToByteArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void Saving_into_a_missing_folder_fails_and_leaves_no_file()
    {
        using var dir = new TempDirectory();
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        string path = Path.Combine(dir.Path, "no-such-folder", "model.onnx");

        var e = Assert.Throws<ShrinkException>(() => model.Save(path));
        Assert.Contains("no-such-folder", e.Message, StringComparison.Ordinal);
        var e2 = Assert.Throws<ShrinkException>(() => model.Save(path, new ModelSaveOptions { ExternalData = ExternalDataMode.Always, ExternalMinTensorBytes = 0 }));
        Assert.Contains("no-such-folder", e2.Message, StringComparison.Ordinal);

        Assert.False(Directory.Exists(Path.Combine(dir.Path, "no-such-folder")));
        Assert.Empty(dir.ListFiles());
    }

    [Fact]
    public void Save_then_load_preserves_the_model_and_to_byte_array_matches_the_file()
    {
        using var dir = new TempDirectory();
        var proto = TinyModels.MatMulReluAdd();
        var model = OnnxModel.FromProto(proto.Clone());
        model.Save(dir.File("m.onnx"));

        Assert.Equal(model.ToByteArray(), File.ReadAllBytes(dir.File("m.onnx")));
        var back = OnnxModel.Load(dir.File("m.onnx"));
        Assert.Equal(proto, back.Proto);
        Assert.Equal(13, back.OpsetVersion());
        Assert.Equal(13, back.OpsetVersion("ai.onnx"));
        Assert.Equal(0, back.OpsetVersion("com.microsoft"));
        Assert.Equal(new FileInfo(dir.File("m.onnx")).Length, back.SizeOnDisk);
    }

    [Fact]
    public void A_clone_is_independent_of_the_original()
    {
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var clone = model.Clone();
        clone.Graph.RenameValue("mm", "renamed");
        clone.SetOpsetVersion("", 17);
        Assert.Equal("mm", model.Graph.Nodes[0].Outputs[0]);
        Assert.Equal(13, model.OpsetVersion());
        Assert.Equal(17, clone.OpsetVersion());
    }

    [Fact]
    public void Edits_to_the_graph_are_written_by_save()
    {
        using var dir = new TempDirectory();
        var model = OnnxModel.FromProto(TinyModels.MatMulReluAdd());
        var relu = model.Graph.Nodes.Single(n => n.OpType == "Relu");
        model.Graph.ReplaceAllUses("act", "mm");
        model.Graph.RemoveNode(relu);
        model.Save(dir.File("m.onnx"));

        var saved = ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("m.onnx")));
        Assert.Equal(["MatMul", "Add"], saved.Graph.Node.Select(n => n.OpType));
        Assert.Equal(["mm", "b"], saved.Graph.Node[1].Input);
        OnnxModel.Load(dir.File("m.onnx")); // still valid
    }
}
