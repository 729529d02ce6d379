using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization;

public class StaticQuantizerTests
{
    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> SampleData =>
        inputs => DataSourceFactory.Open(ShrinkCli.SampleImages, new DataOptions { Preprocessing = Preprocessing.LoadSidecar(ShrinkCli.Sample)! }, inputs);

    [Fact]
    public void Sample_cnn_quantizes_to_fused_int8_within_the_accuracy_band()
    {
        var model = OnnxModel.Load(ShrinkCli.Sample);
        var result = new StaticQuantizer(new StaticQuantizationOptions { Samples = 256, AnalysisSamples = 64, SuggestExclusions = 1 }).Quantize(model, SampleData);

        // The 1-channel first conv stays float (int8 loses there); its Relu moves after the MaxPool as Max(x, 0).
        Assert.Equal(1, result.QuantizedByOp["Conv"]);
        Assert.Equal(2, result.QuantizedByOp["Gemm"]);
        Assert.Single(result.Plan!.ReluPoolSwaps);
        Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "Max");
        Assert.DoesNotContain(result.Fusion!.OptimizedOps.Keys, op => op == "MaxPool"); // no NCHW uint8 MaxPool left
        Assert.NotNull(result.Fusion);
        Assert.Empty(result.Fusion!.Unfused);
        Assert.True(result.Fusion.IntegerKernels >= 3, $"{result.Fusion.IntegerKernels} integer kernels");
        Assert.NotEmpty(result.Layers);
        // The same weights, now int8: scales and zero points are not counted as parameters.
        Assert.Equal(ModelStatistics.Compute(model).Parameters, ModelStatistics.Compute(result.Model).Parameters);
        Assert.True(result.Output!.OutputSqnrDb > 20, $"output SQNR {result.Output.OutputSqnrDb:F1} dB");

        using var dir = new TempDirectory();
        string path = dir.File("int8.onnx");
        result.Model.Save(path);
        Assert.True(new FileInfo(path).Length <= 0.3 * new FileInfo(ShrinkCli.Sample).Length);
        var eval = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [] }).Evaluate(path, ShrinkCli.Sample, SampleData);
        Assert.True(eval.ReferenceAccuracy!.Value - eval.Accuracy!.Value <= 0.005, $"int8 {eval.Accuracy:F4} vs fp32 {eval.ReferenceAccuracy:F4}");
        Assert.True(eval.Top1Agreement >= 0.98);
    }

    [Fact]
    public void Input_model_is_not_modified()
    {
        var model = OnnxModel.Load(ShrinkCli.Sample);
        int nodes = model.Graph.Nodes.Count;
        var before = model.ToByteArray();
        new StaticQuantizer(new StaticQuantizationOptions { Samples = 64, AnalysisSamples = 0 }).Quantize(model, SampleData);
        Assert.Equal(nodes, model.Graph.Nodes.Count);
        Assert.Equal(before, model.ToByteArray());
    }

    [Fact]
    public void Calibration_data_that_does_not_fit_is_refused()
    {
        var model = OnnxModel.Load(ShrinkCli.Sample);
        var e = Assert.Throws<ShrinkException>(() => new StaticQuantizer(new StaticQuantizationOptions()).Quantize(model,
            inputs => DataSourceFactory.Open("random:8", new DataOptions { ShapeOverrides = new Dictionary<string, long[]> { ["input"] = [1, 3, 28, 28] } }, inputs)));
        Assert.Contains("input", e.Message);
    }
}
