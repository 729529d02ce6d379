using Microsoft.ML.OnnxRuntime;
using Shrink.Model;
using Shrink.Training.Autodiff;

namespace Shrink.Bench.Training;

/// <summary>
/// Where a training step's time goes: ONNX Runtime's profiler over a few runs of the training graph, node time summed
/// per op type (the optimized graph's op types, e.g. FusedConv, and ORT's layout reorders), largest first.
/// </summary>
internal static class StepProfile
{
    public sealed record Entry(string OpType, double MsPerStep, int Nodes);

    public static List<Entry> Run(string name, string onnx, string batchDir, int steps, SessionTuning? tuning = null)
    {
        var model = OnnxModel.Load(onnx);
        var graph = Gradients.Build(model, TrainingModels.Loss(name), TrainingModels.Parameters(model));
        var batch = RawBatch.Load(batchDir);
        string prefix = Path.Combine(Path.GetTempPath(), $"shrink-profile-{Environment.ProcessId}-{name}");
        string file;
        var options = (tuning ?? SessionTuning.Default).Options();
        options.ProfileOutputPathPrefix = prefix; // before enabling: ORT takes the prefix then
        options.EnableProfiling = true;
        using (var session = new InferenceSession(graph.Model.ToByteArray(), options))
        {
            var feeds = new List<NamedOnnxValue>();
            foreach (var input in graph.Inputs.Concat(graph.LossInputs.Select(i => i.Name)))
            {
                var a = batch.Arrays[input];
                feeds.Add(a.Floats is not null
                    ? NamedOnnxValue.CreateFromTensor(input, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(a.Floats, [.. a.Shape.Select(d => (int)d)]))
                    : NamedOnnxValue.CreateFromTensor(input, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>(a.Longs!, [.. a.Shape.Select(d => (int)d)])));
            }
            foreach (var p in graph.Parameters)
            {
                var t = graph.InitialValues[p];
                feeds.Add(NamedOnnxValue.CreateFromTensor(p, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(t.ToFloatArray(), [.. t.Dims.Select(d => (int)d)])));
            }
            session.Run(feeds).Dispose(); // warm-up, then profile
            for (int i = 0; i < steps; i++) session.Run(feeds).Dispose();
            file = session.EndProfiling();
        }
        var totals = OrtProfileFile.KernelTimes(file);
        // The warm-up run is in the profile too.
        return [.. totals.Select(kv => new Entry(kv.Key, kv.Value.Us / 1000.0 / (steps + 1), kv.Value.Nodes)).OrderByDescending(e => e.MsPerStep)];
    }
}
