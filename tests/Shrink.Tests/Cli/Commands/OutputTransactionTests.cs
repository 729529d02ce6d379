using Shrink.Cli.Commands;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Cli.Commands;

public class OutputTransactionTests
{
    [Fact]
    public void A_model_onnx_runtime_refuses_is_not_written()
    {
        using var dir = new TempDirectory();
        string input = WriteTo(MatMulReluAdd(), dir.File("in.onnx"));
        var proto = MatMulReluAdd();
        proto.Graph.Node[1].OpType = "NoSuchOp";
        var bad = OnnxModel.FromProto(proto);
        using (var outputs = OutputTransaction.Begin([("MODEL", input)], [("--output", dir.File("out.onnx")), ("--report", dir.File("r.md"))]))
        {
            outputs.StageModel(bad, input, dir.File("out.onnx"));
            outputs.StageText(dir.File("r.md"), "report", "--report");
            var e = Assert.Throws<ShrinkException>(outputs.Commit);
            Assert.Contains("does not load in ONNX Runtime", e.Message);
            Assert.Contains("out.onnx", e.Message);
        }
        Assert.Equal(["in.onnx"], dir.ListFiles());
        Assert.Empty(Directory.GetDirectories(dir.Path));
    }

    [Fact]
    public void A_model_that_loads_but_fails_on_one_sample_of_the_data_is_not_written()
    {
        using var dir = new TempDirectory();
        string input = WriteTo(MatMulReluAdd(), dir.File("in.onnx"));
        // Loads (the batch is symbolic, so the Reshape cannot be checked) but fails on any real sample: 3 values into 5.
        var graph = new global::Onnx.GraphProto { Name = "bad-reshape" };
        graph.Input.Add(FloatInfo("x", "batch", 3));
        graph.Output.Add(FloatInfo("y", 5));
        graph.Initializer.Add(RawTensor("shape", (int)global::Onnx.TensorProto.Types.DataType.Int64, [1], BitConverter.GetBytes(5L)));
        graph.Node.Add(Node("Reshape", ["x", "shape"], ["y"], "reshape"));
        var bad = OnnxModel.FromProto(BuildModel(graph));
        using (var outputs = OutputTransaction.Begin([("MODEL", input)], [("--output", dir.File("out.onnx"))]))
        {
            outputs.ProbeData = inputs => Shrink.Data.DataSourceFactory.Open("random:2", new Shrink.Data.DataOptions(), inputs);
            outputs.StageModel(bad, input, dir.File("out.onnx"));
            var e = Assert.Throws<ShrinkException>(outputs.Commit);
            Assert.Contains("fails on one sample", e.Message);
        }
        Assert.Equal(["in.onnx"], dir.ListFiles());
    }

    [Fact]
    public void Outputs_appear_only_at_commit()
    {
        using var dir = new TempDirectory();
        string input = WriteTo(MatMulReluAdd(), dir.File("in.onnx"));
        using var outputs = OutputTransaction.Begin([("MODEL", input)], [("--output", dir.File("new", "out.onnx")), ("--json", dir.File("o.json"))]);
        string staged = outputs.StageModel(OnnxModel.Load(input), input, dir.File("new", "out.onnx"));
        outputs.StageText(dir.File("o.json"), "{}", "--json");
        Assert.True(File.Exists(staged));
        Assert.False(File.Exists(dir.File("new", "out.onnx")));
        Assert.False(File.Exists(dir.File("o.json")));
        outputs.Commit();
        Assert.Equal(["in.onnx", Path.Combine("new", "out.onnx"), "o.json"], dir.ListFiles());
    }

    [Fact]
    public void An_output_over_the_inputs_external_data_is_refused()
    {
        using var dir = new TempDirectory();
        var model = OnnxModel.FromProto(MatMulReluAdd());
        string input = dir.File("in.onnx");
        model.Save(input, new ModelSaveOptions { ExternalData = ExternalDataMode.Always, ExternalMinTensorBytes = 0 });
        Assert.True(File.Exists(dir.File("in.onnx.data")));
        using var outputs = OutputTransaction.Begin([("MODEL", input)], [("--report", dir.File("in.onnx.data"))]);
        var e = Assert.Throws<Shrink.Cli.UsageException>(() => outputs.LoadModel(input));
        Assert.Contains("external data", e.Message);
    }

    [Fact]
    public void An_output_inside_an_input_folder_is_refused()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("images"));
        var e = Assert.Throws<Shrink.Cli.UsageException>(() =>
            OutputTransaction.Begin([("--data", dir.File("images"))], [("--report", dir.File("images", "r.md"))]));
        Assert.Contains("inside the input folder", e.Message);
    }
}
