using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>
/// <c>finetune</c>: the issue-16 accuracy targets, each run as a user runs it (the built <c>shrink</c> CLI with
/// <c>--json</c>, full Fashion-MNIST test set or 512 tiny_gpt validation windows): pruning then distillation from the
/// unpruned model, and quantization-aware training when the CLI has <c>--qat</c>. Writes bench/RESULTS-finetune.md.
/// </summary>
internal static class FineTuneBenchmark
{
    private sealed record Case(string Model, string Setting, string[] Arguments, string Metric, double Target, bool LowerIsBetter, string TargetText);

    private sealed record Row(Case Case, double Reference, double Value, double? BeforeTraining, string History, double MacsRemoved, double Seconds, long PeakKiB, string? Error);

    public static int Run(bool quick, string outPath, string? only = null)
    {
        string root = Int8Benchmark.RepoRoot();
        string models = Path.GetFullPath(Path.Combine(root, "..", "shared", "models"));
        string cli = Path.Combine(root, "src", "Shrink.Cli", "bin", "Release", "net10.0", "shrink.dll");
        if (!Directory.Exists(models) || !File.Exists(PruneBenchmark.Test) || !File.Exists(cli))
        {
            Console.Error.WriteLine($"needs {models}, {PruneBenchmark.Fmnist} (apt-get install dataset-fashion-mnist) and a Release build of the CLI ({cli})");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-finetune-bench-").FullName;
        try
        {
            string train = PruneBenchmark.Calibration, test = PruneBenchmark.Test;
            string epochs = quick ? "1" : "3";
            string[] quickCap = quick ? ["--train-samples", "4096", "--eval-samples", "2000"] : [];
            string M(string file) => Path.Combine(models, file);
            var cases = new List<Case>
            {
                new("resnet8", $"`prune --sparsity 0.5 --reconstruct --finetune --epochs {epochs} --lr 1e-3`",
                    ["prune", M("resnet8.onnx"), "--sparsity", "0.5", "--reconstruct", "--data", train, "--finetune", "--epochs", epochs, "--lr", "1e-3", "--eval-data", test, "--eval-batch", "64", .. quickCap],
                    "top1_accuracy", 0.910, false, "≥ 0.910 after ≤ 3 epochs (today 0.8943 after the refit)"),
                new("cnn_small", $"`prune --sparsity 0.6 --reconstruct --finetune --epochs {epochs} --lr 1e-3`",
                    ["prune", M("cnn_small.onnx"), "--sparsity", "0.6", "--reconstruct", "--data", train, "--finetune", "--epochs", epochs, "--lr", "1e-3", "--eval-data", test, "--eval-batch", "64", .. quickCap],
                    "top1_accuracy", 0.915, false, "≥ 0.915 after ≤ 3 epochs"),
                new("tiny_gpt", "`prune --sparsity 0.3 --reconstruct --finetune --epochs 1 --train-batch 16 --lr 1e-3` (heads + MLP)",
                    ["prune", M("tiny_gpt.onnx"), "--sparsity", "0.3", "--reconstruct", "--data", M("tiny_gpt.calib.npy"), "--finetune", "--epochs", "1", "--train-batch", "16", "--lr", "1e-3",
                     "--eval-data", M("tiny_gpt.val.npy"), "--task", "lm", "--eval-batch", "8"],
                    "perplexity", 1.03, true, "perplexity within 3 % of fp32 after 1 epoch"),
                new("tiny_gpt", "`prune --sparsity 0.3 --reconstruct --finetune --epochs 1 --train-batch 16 --lr 3e-4` (heads + MLP)",
                    ["prune", M("tiny_gpt.onnx"), "--sparsity", "0.3", "--reconstruct", "--data", M("tiny_gpt.calib.npy"), "--finetune", "--epochs", "1", "--train-batch", "16", "--lr", "3e-4",
                     "--eval-data", M("tiny_gpt.val.npy"), "--task", "lm", "--eval-batch", "8"],
                    "perplexity", 1.03, true, "perplexity within 3 % of fp32 after 1 epoch"),
                new("tiny_gpt", "`prune --sparsity 0.3 --finetune --epochs 1 --train-batch 16 --lr 1e-3` (no refit)",
                    ["prune", M("tiny_gpt.onnx"), "--sparsity", "0.3", "--data", M("tiny_gpt.calib.npy"), "--finetune", "--epochs", "1", "--train-batch", "16", "--lr", "1e-3",
                     "--eval-data", M("tiny_gpt.val.npy"), "--task", "lm", "--eval-batch", "8"],
                    "perplexity", 1.03, true, "perplexity within 3 % of fp32 after 1 epoch"),
            };
            if (HasQat(cli))
            {
                // QAT: one epoch (the target allows up to 3) against Shrink's own PTQ of the same setting, measured in the same run.
                // quantize has no --eval-data: the output is measured by `shrink eval --reference` after it (RunCase).
                string[] r8 = ["--weight-bits", "4", "--activations", "int4", "--data", train];
                string[] vit = ["--weight-bits", "4", "--data", train];
                string[] trainCap = quick ? ["--train-samples", "4096"] : [];
                cases.Add(new("resnet8", "`quantize --weight-bits 4 --activations int4` (W4A4 PTQ, per-channel weights)", ["quantize", M("resnet8.onnx"), .. r8], "top1_accuracy", 0.905, false, "the PTQ anchor of the next row"));
                cases.Add(new("resnet8", "`quantize --weight-bits 4 --activations int4 --qat --epochs 1 --lr 1e-4` (W4A4 QAT)",
                    ["quantize", M("resnet8.onnx"), .. r8, "--qat", "--epochs", "1", "--lr", "1e-4", .. trainCap], "top1_accuracy", 0.905, false, "≥ 0.905 after ≤ 3 epochs"));
                cases.Add(new("vit_tiny", "`quantize --weight-bits 4` (W4A8 PTQ)", ["quantize", M("vit_tiny.onnx"), .. vit], "top1_accuracy", 0.873, false, "the PTQ anchor of the next row"));
                cases.Add(new("vit_tiny", "`quantize --weight-bits 4 --qat --epochs 1 --lr 1e-4` (W4A8 QAT)",
                    ["quantize", M("vit_tiny.onnx"), .. vit, "--qat", "--epochs", "1", "--lr", "1e-4", .. trainCap], "top1_accuracy", 0.873, false, "≥ 0.873 after ≤ 3 epochs"));
            }
            if (only is not null) cases.RemoveAll(c => !(c.Model + " " + c.Setting).Contains(only, StringComparison.Ordinal));
            var rows = new List<Row>();
            int k = 0;
            foreach (var c in cases)
            {
                string output = Path.Combine(temp, $"case{k++}.onnx"), json = output + ".json";
                rows.Add(RunCase(cli, c, output, json, test, quick));
                var r = rows[^1];
                Console.WriteLine($"{c.Model} {c.Setting}: {(r.Error ?? $"{r.Value:F4} (reference {r.Reference:F4}), {r.Seconds:F0} s")}");
            }
            File.WriteAllText(outPath, Markdown(rows, quick, clock.Elapsed.TotalSeconds));
            Console.WriteLine($"wrote {outPath}");
            return 0;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    private static bool HasQat(string cli)
    {
        var help = Process.Start(new ProcessStartInfo("dotnet", $"\"{cli}\" quantize --help") { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string text = help.StandardOutput.ReadToEnd();
        help.WaitForExit();
        return text.Contains("--qat", StringComparison.Ordinal);
    }

    private static Row RunCase(string cli, Case c, string output, string json, string test, bool quick)
    {
        var start = new ProcessStartInfo("/usr/bin/time", ["-f", "peak_kib=%M", "dotnet", cli, .. c.Arguments, "-o", output, "--json", json]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NO_COLOR"] = "1";
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        double seconds = sw.Elapsed.TotalSeconds;
        long peak = stderr.Split('\n').Where(l => l.StartsWith("peak_kib=", StringComparison.Ordinal)).Select(l => long.Parse(l[9..], CultureInfo.InvariantCulture)).LastOrDefault();
        if (process.ExitCode != 0 || !File.Exists(json))
            return new Row(c, double.NaN, double.NaN, null, "", double.NaN, seconds, peak, $"exit {process.ExitCode}: {stderr.Split('\n').LastOrDefault(l => l.Length > 0 && !l.StartsWith("peak_kib", StringComparison.Ordinal))}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonDocument? evalDoc = null;
        if (!doc.RootElement.TryGetProperty("evaluation", out var e))
        {
            // A command without --eval-data (quantize): the output against the input model, by `shrink eval`.
            string evalJson = output + ".eval.json";
            var eval = Process.Start(new ProcessStartInfo("dotnet", ["exec", cli, "eval", output, "--reference", c.Arguments[1], "--data", test, "--batch", "64", .. (quick ? new[] { "--samples", "2000" } : []), "--json", evalJson])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string evalErr = eval.StandardError.ReadToEnd();
            eval.StandardOutput.ReadToEnd();
            eval.WaitForExit();
            if (eval.ExitCode != 0 || !File.Exists(evalJson))
                return new Row(c, double.NaN, double.NaN, null, "", double.NaN, seconds, peak, $"eval exit {eval.ExitCode}: {evalErr.Split('\n').LastOrDefault(l => l.Length > 0)}");
            evalDoc = JsonDocument.Parse(File.ReadAllText(evalJson));
            e = evalDoc.RootElement;
        }
        var metric = e.GetProperty("metrics").EnumerateArray().First(m => m.GetProperty("name").GetString() == c.Metric);
        double value = metric.GetProperty("value").GetDouble(), reference = metric.GetProperty("reference_value").GetDouble();
        double macs = e.TryGetProperty("macs", out var a) && e.TryGetProperty("reference_macs", out var b) ? 1 - a.GetDouble() / b.GetDouble() : double.NaN;
        double? before = null;
        string history = "";
        var tune = doc.RootElement.TryGetProperty("fine_tune", out var ft) ? ft
            : doc.RootElement.TryGetProperty("qat", out var q) && q.TryGetProperty("fine_tune", out var qft) ? qft : default;
        if (tune.ValueKind == JsonValueKind.Object)
        {
            if (tune.TryGetProperty("initial_metric", out var im) && im.ValueKind == JsonValueKind.Number) before = im.GetDouble();
            if (tune.TryGetProperty("history", out var h))
                history = string.Join(" → ", h.EnumerateArray().Select(x => x.TryGetProperty("metric", out var m) && m.ValueKind == JsonValueKind.Number
                    ? m.GetDouble().ToString("F4", CultureInfo.InvariantCulture) : "loss " + x.GetProperty("mean_loss").GetDouble().ToString("F4", CultureInfo.InvariantCulture)));
        }
        evalDoc?.Dispose();
        return new Row(c, reference, value, before, history, macs, seconds, peak, null);
    }

    private static string Markdown(List<Row> rows, bool quick, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Shrink fine-tuning benchmark (training on the ONNX graph)").AppendLine();
        sb.AppendLine(c, $"Generated by `dotnet run --project bench/Shrink.Bench -c Release -- finetune{(quick ? " --quick" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {seconds:F0} s; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical processors, ONNX Runtime {OrtInfo.Version}.").AppendLine();
        sb.AppendLine("Each row is one run of the built CLI, as a user types it, with `--json`; training and evaluation use one ORT intra-op thread. "
            + "Training data: the 60,000 Fashion-MNIST training images (distillation from the unpruned / float model needs no labels), or tiny_gpt's 512 calibration windows. "
            + "Evaluation: the 10,000 test images (top-1 accuracy), or the 512 validation windows (perplexity over 65,536 predictions). "
            + (quick ? "**Quick mode**: 4,096 training samples per epoch, 1 epoch, 2,000 test images: not the targets' setting." : "")).AppendLine();
        sb.AppendLine("| model | command | fp32 | result | before training → after each epoch | MACs removed | target | met | time | peak RSS |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            if (r.Error is not null)
            {
                sb.AppendLine(c, $"| {r.Case.Model} | {r.Case.Setting} | – | failed: {r.Error} | | | {r.Case.TargetText} | no | {r.Seconds:F0} s | |");
                continue;
            }
            bool met = r.Case.LowerIsBetter ? r.Value <= r.Reference * r.Case.Target : r.Value >= r.Case.Target;
            string before = r.BeforeTraining is double b ? b.ToString("F4", c) + " → " : "";
            sb.AppendLine(c, $"| {r.Case.Model} | {r.Case.Setting} | {r.Reference:F4} | {r.Value:F4}{(r.Case.LowerIsBetter ? $" ({(r.Value / r.Reference - 1) * 100:+0.00;-0.00} %)" : "")} | {before}{r.History} | {(double.IsNaN(r.MacsRemoved) ? "–" : r.MacsRemoved.ToString("P1", c))} | {r.Case.TargetText} | {(r.Case.TargetText.StartsWith("the PTQ anchor", StringComparison.Ordinal) ? "–" : quick ? "(quick)" : met ? "yes" : "no")} | {r.Seconds:F0} s | {r.PeakKiB / 1024.0:F0} MiB |");
        }
        sb.AppendLine();
        sb.AppendLine("\"before training → after each epoch\": the metric the trainer measures on held-out data before training and after each epoch, and by which it returns the best model: "
            + "top-1 accuracy on the test images for the classifiers, the distillation KL from the teacher on 256 validation windows for tiny_gpt (lower is better); "
            + "rows without held-out data in training (`quantize --qat`) show the mean training loss per epoch.");
        return sb.ToString();
    }
}
