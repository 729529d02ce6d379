using System.Diagnostics;
using Shrink.Model;

namespace Shrink.Bench;

/// <summary>
/// Times OnnxModel.Load and Save in this process, then in fresh child processes (which also give the peak memory),
/// and breaks one load and save down into phases in another child.
/// </summary>
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
            File.Delete(resaved);
            loads.Add(load);
            saves.Add(save);
            totals.Add(load + save);
        }

        var coldLoads = new List<double>();
        var coldSaves = new List<double>();
        var coldTotals = new List<double>();
        double peak = 0, baseline = 0;
        for (int i = 0; i < repetitions; i++)
        {
            var child = ChildProcess.Run("loadsave", modelPath, resaved);
            File.Delete(resaved);
            coldLoads.Add(child.Values["load_s"]);
            coldSaves.Add(child.Values["save_s"]);
            coldTotals.Add(child.Values["load_s"] + child.Values["save_s"]);
            // The worst run counts for memory.
            peak = Math.Max(peak, child.Values["peak_kib"] / 1024);
            baseline = Math.Max(baseline, child.Values["baseline_kib"] / 1024);
        }

        var phases = ChildProcess.Run("phases", modelPath, resaved).Phases.ToList();
        File.Delete(resaved);
        phases.AddRange(ChildProcess.Run("parsemapped", modelPath).Phases.Where(p => p.Name != "startup"));
        return new IoResult(
            Stats.Median(loads), Stats.Median(saves), Stats.Median(totals), repetitions,
            Stats.Median(coldLoads), Stats.Median(coldSaves), Stats.Median(coldTotals),
            baseline, peak, phases);
    }
}
