using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>
/// <c>profile MODEL [MODEL...] --batch N [--input-shape NAME=1x128] [--flush-denormals]</c>: where inference time goes, per op type of ORT's optimized graph (one
/// intra-op thread, all optimizations, random inputs of the model's shape: timing only), ms per run, largest first.
/// </summary>
internal static class InferenceProfile
{
    public static int Run(IReadOnlyList<string> models, int batch, int runs, IReadOnlyDictionary<string, long[]> shapes, bool flushDenormals)
    {
        foreach (var path in models)
        {
            var model = OnnxModel.Load(path);
            var inputs = ModelInputs.Of(model);
            using var source = new RandomDataSource(inputs, shapes, batch, seed: 0);
            var sample = source.ReadBatches(batch, batch).First();
            using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            if (flushDenormals) options.AddSessionConfigEntry("session.set_denormal_as_zero", "1");
            // The prefix first: ORT takes it when profiling is enabled (set after, the file lands in the working folder).
            options.ProfileOutputPathPrefix = Path.Combine(Path.GetTempPath(), $"shrink-profile-{Environment.ProcessId}");
            options.EnableProfiling = true;
            string file;
            using (var session = new InferenceSession(path, options))
            {
                var feeds = sample.Inputs.Select(t => t.Type == ElementType.Int64
                    ? NamedOnnxValue.CreateFromTensor(t.Name, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>((long[])t.Data, [.. t.Shape.Select(d => (int)d)]))
                    : NamedOnnxValue.CreateFromTensor(t.Name, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>((float[])t.Data, [.. t.Shape.Select(d => (int)d)]))).ToList();
                for (int i = 0; i < runs; i++) session.Run(feeds).Dispose();
                file = session.EndProfiling();
            }
            var totals = OrtProfileFile.KernelTimes(file);
            double all = totals.Values.Sum(v => v.Us) / 1000 / runs;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)} batch {batch}: {all:F2} ms of kernels per run"));
            foreach (var (op, (us, nodes)) in totals.OrderByDescending(kv => kv.Value.Us))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {op,-28} {us / 1000 / runs,8:F3} ms  {100 * us / 1000 / runs / all,5:F1} %  ({nodes} nodes)"));
        }
        return 0;
    }
}
