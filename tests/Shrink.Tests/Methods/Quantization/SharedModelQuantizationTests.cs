using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization;

/// <summary>The reference models quantized as the benchmark does, checked on 1,000 test images (not timed).</summary>
public class SharedModelQuantizationTests
{
    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(string path, string model) =>
        inputs => DataSourceFactory.Open(path, new DataOptions { Preprocessing = Preprocessing.LoadSidecar(model)! }, inputs);

    [SharedFact(needsFashionMnist: true)]
    public void Static_and_dynamic_int8_stay_within_the_accuracy_band_and_keep_the_interface()
    {
        var cases = new (string Model, string Mode, double MaxDrop)[]
        {
            ("cnn_small", "static", 0.003), ("resnet8", "static", 0.003), ("vit_tiny", "static", 0.005), ("vit_tiny", "dynamic", 0.001),
        };
        using var dir = new TempDirectory();
        var failures = new List<string>();
        foreach (var (name, mode, maxDrop) in cases)
        {
            string fp32 = Path.Combine(RepoPaths.SharedModels, name + ".onnx");
            var model = OnnxModel.Load(fp32);
            var result = mode == "static"
                ? new StaticQuantizer(new StaticQuantizationOptions { AnalysisSamples = 0 }).Quantize(model, Open(FashionMnist.TrainImages, fp32))
                : new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(model);
            string path = dir.File($"{name}.{mode}.onnx");
            result.Model.Save(path);
            Assert.Equal(model.Graph.Inputs.Select(i => i.Name), result.Model.Graph.Inputs.Select(i => i.Name));
            Assert.Equal(model.Graph.Outputs.Select(o => o.Name), result.Model.Graph.Outputs.Select(o => o.Name));
            Assert.Empty(result.Fusion!.Unfused);
            var eval = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [], MaxSamples = 1000 })
                .Evaluate(path, fp32, Open(FashionMnist.TestImages, fp32));
            double drop = eval.ReferenceAccuracy!.Value - eval.Accuracy!.Value;
            if (drop > maxDrop) failures.Add($"{name} {mode}: {eval.Accuracy:F4} vs fp32 {eval.ReferenceAccuracy:F4}");
        }
        Assert.Empty(failures);
    }
}
