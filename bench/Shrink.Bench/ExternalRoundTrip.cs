using System.Diagnostics;
using Shrink.Model;

namespace Shrink.Bench;

/// <summary>Saves a model with <see cref="ExternalDataMode.Always"/>, reloads it and checks every initializer's bytes.</summary>
internal static class ExternalRoundTrip
{
    public static RoundTripResult Run(OnnxModel original, string workDir, int repetitions)
    {
        string dir = Directory.CreateDirectory(Path.Combine(workDir, "external")).FullName;
        string path = Path.Combine(dir, "model.onnx");
        var options = new ModelSaveOptions { ExternalData = ExternalDataMode.Always };
        var saves = new List<double>();
        var loads = new List<double>();
        var graphOnly = new List<double>();
        OnnxModel? reloaded = null;
        for (int i = 0; i < repetitions; i++)
        {
            reloaded = null;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            var sw = Stopwatch.StartNew();
            original.Save(path, options);
            saves.Add(sw.Elapsed.TotalSeconds);
            sw.Restart();
            reloaded = OnnxModel.Load(path);
            loads.Add(sw.Elapsed.TotalSeconds);
            sw.Restart();
            OnnxModel.Load(path, new ModelLoadOptions { LoadExternalData = false });
            graphOnly.Add(sw.Elapsed.TotalSeconds);
        }

        var mismatches = new List<string>();
        int compared = 0;
        foreach (var (name, tensor) in original.Graph.Initializers)
        {
            compared++;
            var copy = reloaded!.Graph.FindInitializer(name);
            if (copy is null) mismatches.Add($"{name}: missing after reload");
            else if (copy.Type != tensor.Type || !copy.Dims.SequenceEqual(tensor.Dims)) mismatches.Add($"{name}: type or dims differ");
            else if (!copy.RawBytes.SequenceEqual(tensor.RawBytes)) mismatches.Add($"{name}: bytes differ");
        }
        if (reloaded!.Graph.Initializers.Count != original.Graph.Initializers.Count)
            mismatches.Add($"initializer count {reloaded.Graph.Initializers.Count} after reload, {original.Graph.Initializers.Count} before");

        long modelBytes = new FileInfo(path).Length;
        long dataBytes = reloaded.ExternalDataFiles.Sum(f => new FileInfo(f).Length);
        Directory.Delete(dir, recursive: true);
        return new RoundTripResult(Stats.Median(saves), Stats.Median(loads), Stats.Median(graphOnly), repetitions,
            modelBytes, dataBytes, compared, mismatches);
    }
}
