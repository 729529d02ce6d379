using System.Diagnostics;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Training.Autodiff;
using Xunit.Abstractions;

namespace Shrink.Tests.Training.Autodiff;

/// <summary>Cross-entropy gradients of the shared reference models against finite differences on each weight's largest entries.</summary>
public sealed class ReferenceModelGradientTests(ITestOutputHelper output)
{
    private void CheckModel(string file, int samples)
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, file));
        var parameters = model.Graph.Initializers.Values.Where(t => t.Type == ElementType.Float && t.ElementCount > 1).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(parameters);
        var images = TinyModels.FloatTensor("input", [2, 1, 28, 28], TinyModels.RandomFloats(2 * 28 * 28, 21));
        var labels = TinyModels.RawTensor("labels", TinyModels.Int64, [2], [.. BitConverter.GetBytes(3L), .. BitConverter.GetBytes(7L)]);
        var inputs = new Dictionary<string, TensorProto> { ["input"] = images, ["labels"] = labels };
        model.Graph.SyncToProto();
        double worst = GradientCheck.Check(model.Proto, parameters, inputs, LossSpec.CrossEntropy(), samples, largest: true, floorFraction: 1e-2);
        output.WriteLine($"{file}: {parameters.Length} parameters, worst relative error {worst:G3}");
    }

    [SharedFact]
    public void Cnn_small_cross_entropy_gradients_match_finite_differences() => CheckModel("cnn_small.onnx", 3);

    [SharedFact]
    public void Resnet8_cross_entropy_gradients_match_finite_differences() => CheckModel("resnet8.onnx", 3);

    [SharedFact]
    public void Vit_tiny_cross_entropy_gradients_match_finite_differences() => CheckModel("vit_tiny.onnx", 2);

    [SharedFact]
    public void Tiny_gpt_next_token_cross_entropy_gradients_match_finite_differences()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, "tiny_gpt.onnx"));
        var parameters = model.Graph.Initializers.Values.Where(t => t.Type == ElementType.Float && t.ElementCount > 1).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
        long[] tokens = [5, 17, 3, 42, 8, 11, 29, 2, 7];
        static TensorProto Ids(string name, IEnumerable<long> ids) =>
            TinyModels.RawTensor(name, TinyModels.Int64, [1, 8], ids.SelectMany(BitConverter.GetBytes).ToArray());
        var inputs = new Dictionary<string, TensorProto> { ["input_ids"] = Ids("input_ids", tokens.Take(8)), ["labels"] = Ids("labels", tokens.Skip(1)) };
        model.Graph.SyncToProto();
        double worst = GradientCheck.Check(model.Proto, parameters, inputs, LossSpec.CrossEntropy(), 2, largest: true, floorFraction: 1e-2);
        output.WriteLine($"tiny_gpt.onnx: {parameters.Length} parameters, worst relative error {worst:G3}");
    }

    [SharedFact]
    public void Tiny_mamba_next_token_cross_entropy_gradients_match_finite_differences()
    {
        // The selective scan is unrolled over its fixed 128 positions (thousands of nodes): a 128-token window.
        var model = OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, "tiny_mamba.onnx"));
        var parameters = model.Graph.Initializers.Values.Where(t => t.Type == ElementType.Float && t.ElementCount > 1).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
        var random = new Random(5);
        long[] tokens = [.. Enumerable.Range(0, 129).Select(_ => (long)random.Next(99))];
        static TensorProto Ids(string name, IEnumerable<long> ids) =>
            TinyModels.RawTensor(name, TinyModels.Int64, [1, 128], ids.SelectMany(BitConverter.GetBytes).ToArray());
        var inputs = new Dictionary<string, TensorProto> { ["input_ids"] = Ids("input_ids", tokens.Take(128)), ["labels"] = Ids("labels", tokens.Skip(1)) };

        var clock = Stopwatch.StartNew();
        var training = Gradients.Build(model, LossSpec.CrossEntropy(), parameters);
        double buildSeconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"tiny_mamba.onnx: {model.Graph.Nodes.Count} nodes, training graph {training.Model.Graph.Nodes.Count} nodes, built in {buildSeconds:F2} s");
        var feeds = new Dictionary<string, TensorProto>(inputs, StringComparer.Ordinal);
        foreach (var p in parameters) feeds[p] = training.InitialValues[p].Proto;
        clock.Restart();
        using (var session = OrtRunner.Open(training.Model.ToByteArray()))
        {
            output.WriteLine($"session opened in {clock.Elapsed.TotalSeconds:F2} s");
            _ = OrtRunner.Run(session, feeds);
            clock.Restart();
            var step = OrtRunner.Run(session, feeds);
            output.WriteLine($"one step (loss and {parameters.Length} gradients, 1×128 tokens, one ORT thread): {clock.Elapsed.TotalMilliseconds:F0} ms; loss {GradientCheck.Floats(step[0])[0]:F4}");
        }
        // Linear in the graph's size: far below what a quadratic walk over ~20,000 nodes would take.
        Assert.True(buildSeconds < 10, $"Gradients.Build took {buildSeconds:F1} s");

        model.Graph.SyncToProto();
        double worst = GradientCheck.Check(model.Proto, parameters, inputs, LossSpec.CrossEntropy(), 1, largest: true, floorFraction: 1e-2);
        output.WriteLine($"tiny_mamba.onnx: {parameters.Length} parameters, worst relative error {worst:G3}");
    }

    [SharedFact]
    public void Tiny_ddpm_mean_squared_error_gradients_match_finite_differences()
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, "tiny_ddpm.onnx"));
        var parameters = model.Graph.Initializers.Values.Where(t => t.Type == ElementType.Float && t.ElementCount > 1).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(parameters);
        var inputs = new Dictionary<string, TensorProto>
        {
            ["x"] = TinyModels.FloatTensor("x", [2, 1, 28, 28], TinyModels.RandomFloats(2 * 28 * 28, 31)),
            ["t"] = TinyModels.RawTensor("t", TinyModels.Int64, [2], [.. BitConverter.GetBytes(17L), .. BitConverter.GetBytes(640L)]),
            ["target"] = TinyModels.FloatTensor("target", [2, 1, 28, 28], TinyModels.RandomFloats(2 * 28 * 28, 32)),
        };
        model.Graph.SyncToProto();
        double worst = GradientCheck.Check(model.Proto, parameters, inputs, LossSpec.MeanSquaredError("eps"), 2, largest: true, floorFraction: 1e-2);
        output.WriteLine($"tiny_ddpm.onnx: {parameters.Length} parameters, worst relative error {worst:G3}");
    }
}
