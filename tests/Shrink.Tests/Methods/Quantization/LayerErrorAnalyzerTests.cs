using Shrink.Data;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization;

public class LayerErrorAnalyzerTests
{
    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> SampleData =>
        inputs => DataSourceFactory.Open(ShrinkCli.SampleImages, new DataOptions { Preprocessing = Preprocessing.LoadSidecar(ShrinkCli.Sample)! }, inputs);

    [Fact]
    public void Memory_limit_below_one_sample_splits_calibration_and_analysis_into_passes_with_identical_results()
    {
        var model = OnnxModel.Load(ShrinkCli.Sample);
        QuantizationResult Run(long? limit) =>
            new StaticQuantizer(new StaticQuantizationOptions { Calibration = "minmax", Samples = 64, AnalysisSamples = 32, SuggestExclusions = 0, MemoryLimitBytes = limit }).Quantize(model, SampleData);

        var roomy = Run(1L << 30);
        var tight = Run(8 * 1024);

        // Both the ranges and the per-layer comparison (float and quantized tensors paired in each pass) were split.
        Assert.Equal(2, tight.MemoryNotes.Count(n => n.Contains("passes", StringComparison.Ordinal)));
        Assert.DoesNotContain(roomy.MemoryNotes, n => n.Contains("passes", StringComparison.Ordinal));
        Assert.Equal(TinyModels.Bytes(roomy.Model.Proto), TinyModels.Bytes(tight.Model.Proto));
        Assert.Equal(roomy.Layers.Count, tight.Layers.Count);
        Assert.NotEmpty(roomy.Layers);
        // Batch 1 instead of 32 changes ONNX Runtime's float rounding in the last digits, hence a tolerance of 0.001 dB.
        foreach (var (a, b) in roomy.Layers.Zip(tight.Layers))
        {
            Assert.Equal(a.Tensor, b.Tensor);
            Assert.Equal(a.SqnrDb, b.SqnrDb, 3);
            Assert.Equal(a.InputSqnrDb ?? double.NaN, b.InputSqnrDb ?? double.NaN, 3);
        }
        Assert.Equal(roomy.Output!.OutputSqnrDb, tight.Output!.OutputSqnrDb, 3);
    }
}
