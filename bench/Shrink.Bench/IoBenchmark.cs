using System.Diagnostics;
using Shrink.Onnx;

namespace Shrink.Bench;

/// <summary>Times OnnxModel.Load and Save in this process, then measures peak memory and phases in fresh child processes.</summary>
internal static class IoBenchmark
{
    public static IoResult Run(string modelPath, string workDir, int repetitions)
    {
        string resaved = Path.Combine(workDir, Path.GetFileNameWithoutExtension(modelPath) + ".resaved.onnx");
        var loads = new List<double>();
        var saves = new List<double>();
        var totals = new List<double>();
        for (int i = 0; i < repetitions; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            var sw = Stopwatch.StartNew();
            var model = OnnxModel.Load(modelPath);
            double load = sw.Elapsed.TotalSeconds;
            sw.Restart();
            model.Save(resaved);
            double save = sw.Elapsed.TotalSeconds;
            loads.Add(load);
            saves.Add(save);
            totals.Add(load + save);
        }
        File.Delete(resaved);

        var child = ChildProcess.Run("loadsave", modelPath, resaved);
        File.Delete(resaved);
        var phases = ChildProcess.Run("phases", modelPath, resaved);
        File.Delete(resaved);
        return new IoResult(
            Stats.Median(loads), Stats.Median(saves), Stats.Median(totals), repetitions,
            child.Values["load_s"], child.Values["save_s"],
            child.Values["baseline_kib"] / 1024, child.Values["peak_kib"] / 1024,
            phases.Phases);
    }
}
