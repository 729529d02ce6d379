using System.Diagnostics;
using System.Globalization;
using System.Text;
using Shrink.Data;
using Shrink.Data.Text;
using Shrink.Evaluation;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Bench;

/// <summary>
/// <c>bert-text</c>: static and dynamic int8 of the generated BERT-base (<see cref="BertBaseGenerator"/>, seq 128) fed
/// from a text file through a WordPiece tokenizer (Microsoft.ML.Tokenizers' BertTokenizer over a vocab.txt): the
/// fortune corpus (Debian's <c>fortunes</c>), packed into 128-token windows; calibration on the first part of the
/// corpus, embedding cosine with the fp32 model on windows from the rest, latency at batch 8 × 128 with one intra-op
/// thread, interleaved with fp32. The model's weights are random (BERT's initialization; no trained BERT-base is
/// available here), so the cosine measures fidelity to fp32 on real text, not the accuracy of a trained encoder.
/// Writes bench/RESULTS-bert-text.md.
/// </summary>
internal static class BertTextBenchmark
{
    private const string Fortunes = "/usr/share/games/fortunes";
    private const int SeqLen = 128, Batch = 8;

    private sealed record Row(string Mode, double CosineMean, double CosineMin, double Agreement, double Fp32Ms, double Int8Ms, double Speedup, long Bytes, double QuantizeSeconds, string Kernels);

    public static int Run(bool quick, string outPath)
    {
        if (!Directory.Exists(Fortunes))
        {
            Console.Error.WriteLine($"needs {Fortunes} (apt-get install fortunes)");
            return 1;
        }
        var clock = Stopwatch.StartNew();
        string temp = Directory.CreateTempSubdirectory("shrink-bert-text-bench-").FullName;
        try
        {
            var documents = ReadFortunes();
            int split = documents.Count * 3 / 4;
            string calibText = Path.Combine(temp, "calib.txt"), evalText = Path.Combine(temp, "eval.txt"), vocab = Path.Combine(temp, "vocab.txt");
            File.WriteAllText(calibText, string.Join("\n\n", documents.Take(split)));
            File.WriteAllText(evalText, string.Join("\n\n", documents.Skip(split)));
            var vocabulary = WriteVocabulary(documents.Take(split), vocab);
            string fp32 = Path.Combine(temp, "bert_base.onnx");
            Console.WriteLine("generating BERT-base");
            BertBaseGenerator.Build().Save(fp32);
            var text = new TextDataOptions { Tokenizer = TextTokenizers.Open(vocab), SequenceLength = SeqLen, Mode = TextPacking.Pack };
            Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(string file) => inputs => new TextDataSource(file, text, inputs);
            long calibration = quick ? 32 : 128, evaluation = quick ? 32 : 256;
            var rows = new List<Row>();
            foreach (var mode in new[] { "dynamic", "static" })
            {
                Console.WriteLine($"BERT-base {mode}");
                var q = Stopwatch.StartNew();
                var result = mode == "dynamic"
                    ? new DynamicQuantizer(new StaticQuantizationOptions()).Quantize(OnnxModel.Load(fp32))
                    : new StaticQuantizer(new StaticQuantizationOptions { AnalysisSamples = 0, Samples = calibration, BatchSize = Batch }).Quantize(OnnxModel.Load(fp32), Open(calibText));
                double seconds = q.Elapsed.TotalSeconds;
                string path = Path.Combine(temp, $"bert_base.{mode}.onnx");
                result.Model.Save(path);
                var options = new EvaluationOptions
                {
                    Task = "embedding",
                    LatencyBatchSizes = [Batch],
                    MaxSamples = evaluation,
                    EvalBatchSize = Batch,
                    MaxRunSeconds = 60,
                    Runtime = new RuntimeOptions { IntraOpThreads = 1 },
                    Latency = new LatencyMeter { Runs = quick ? 3 : 10, WarmupRuns = 1 },
                };
                var eval = new ModelEvaluator(options).Evaluate(path, fp32, Open(evalText));
                double Metric(string name) => eval.Metrics.First(m => m.Name == name).Value;
                string key = Batch.ToString(CultureInfo.InvariantCulture);
                rows.Add(new Row(mode, Metric("embedding_cosine_mean"), Metric("embedding_cosine_min"), eval.Metrics.FirstOrDefault(m => m.Name == "neighbour_agreement")?.Value ?? double.NaN,
                    eval.ReferenceLatencyMs![key], eval.LatencyMs[key], eval.Speedup![key], new FileInfo(path).Length, seconds, TransformerInt8Benchmark.Kernels(result)));
            }
            string report = Report(rows, quick, clock.Elapsed.TotalSeconds, documents.Count, split, vocabulary, new FileInfo(fp32).Length, calibration, evaluation);
            AtomicFile.WriteAllText(outPath, report);
            Console.WriteLine($"wrote {outPath} in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    // The fortune files (not their .dat indexes or .u8 links), one document per fortune, in a fixed order.
    private static List<string> ReadFortunes()
    {
        var documents = new List<string>();
        foreach (var file in Directory.GetFiles(Fortunes).Where(f => Path.GetExtension(f).Length == 0).Order(StringComparer.Ordinal))
        {
            var current = new StringBuilder();
            foreach (var line in File.ReadLines(file))
            {
                if (line.Trim() == "%")
                {
                    if (current.Length > 0) documents.Add(current.ToString().Trim());
                    current.Clear();
                }
                else
                {
                    current.AppendLine(line);
                }
            }
            if (current.Length > 0) documents.Add(current.ToString().Trim());
        }
        return documents.Where(d => d.Length > 0).ToList();
    }

    // A BERT-style vocab.txt of exactly the generator's 30,522 entries: [PAD], 99 [unused], [UNK] [CLS] [SEP] [MASK]
    // at ids 0, 100-103 as in bert-base-uncased; every character of the calibration text and its ## continuation (so no
    // [UNK]); then the most frequent lower-cased words; [unused] fillers to the end. Returns the word-entry count.
    private static int WriteVocabulary(IEnumerable<string> documents, string path)
    {
        var entries = new List<string> { "[PAD]" };
        entries.AddRange(Enumerable.Range(0, 99).Select(i => $"[unused{i}]"));
        entries.AddRange(["[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
        var chars = new SortedSet<string>(StringComparer.Ordinal);
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var doc in documents)
        {
            var lower = doc.ToLowerInvariant();
            var word = new StringBuilder();
            foreach (var ch in lower)
            {
                if (!char.IsWhiteSpace(ch)) chars.Add(ch.ToString());
                if (char.IsLetterOrDigit(ch))
                {
                    word.Append(ch);
                    continue;
                }
                if (word.Length > 1) words[word.ToString()] = words.GetValueOrDefault(word.ToString()) + 1;
                word.Clear();
            }
            if (word.Length > 1) words[word.ToString()] = words.GetValueOrDefault(word.ToString()) + 1;
        }
        entries.AddRange(chars);
        entries.AddRange(chars.Where(c => char.IsLetterOrDigit(c[0])).Select(c => "##" + c));
        var seen = new HashSet<string>(entries, StringComparer.Ordinal);
        int room = (int)BertBaseGenerator.VocabSize - entries.Count;
        var top = words.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key).Where(seen.Add).Take(room).ToList();
        entries.AddRange(top);
        for (int i = 99; entries.Count < BertBaseGenerator.VocabSize; i++) entries.Add($"[unused{i}]");
        File.WriteAllLines(path, entries);
        return top.Count;
    }

    private static string Report(List<Row> rows, bool quick, double seconds, int documents, int split, int words, long fp32Bytes, long calibration, long evaluation)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# BERT-base int8 from a text file").AppendLine();
        sb.AppendLine(c, $"Generated by `dotnet run --project bench/Shrink.Bench -c Release -- bert-text{(quick ? " --quick" : "")}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC in {seconds:F0} s; {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical processors, ONNX Runtime {OrtInfo.Version}.").AppendLine();
        sb.AppendLine(c, $"Model: the bench's generated BERT-base (12 layers, hidden 768, 12 heads, {fp32Bytes / (1024.0 * 1024):F0} MiB fp32), input `input_ids` [batch, seq], seq 128. **Its weights are random** (BERT's initialization): no trained BERT-base is available here, so the cosine below is the int8 model's fidelity to the fp32 model on real text, not the accuracy of a trained encoder.").AppendLine();
        sb.AppendLine(c, $"Data: Debian's `fortunes` corpus, {documents:N0} fortunes; the first {split:N0} for calibration, the other {documents - split:N0} for evaluation, each packed into 128-token windows ([CLS] … [SEP] per fortune) by `TextDataSource` through a WordPiece tokenizer (Microsoft.ML.Tokenizers' BertTokenizer) over a vocab.txt built from the calibration text (special tokens at bert-base-uncased's ids, every character and its ## continuation, then the {words:N0} most frequent lower-cased words, [unused] fillers to 30,522 entries). Static: default options (mse calibration, attention MatMuls and residual Adds in float) on {calibration} windows; dynamic: DynamicQuantizeMatMul, no data. Evaluation: `shrink eval --task embedding` semantics on {evaluation} windows: cosine of the mean-pooled `last_hidden_state` with fp32 per window, and nearest-neighbour agreement. Latency: batch {Batch} × {SeqLen}, one intra-op thread, int8 and fp32 interleaved, medians; on a shared 2-core machine only the ratio means much.").AppendLine();
        sb.AppendLine("| mode | cosine mean | cosine min | neighbour agreement | fp32 ms | int8 ms | speedup | int8 file MiB | quantize s | integer kernels in ORT's optimized graph |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            sb.AppendLine(c, $"| {r.Mode} | {r.CosineMean:F4} | {r.CosineMin:F4} | {r.Agreement:F4} | {r.Fp32Ms:F1} | {r.Int8Ms:F1} | {r.Speedup:F2}× | {r.Bytes / (1024.0 * 1024):F0} | {r.QuantizeSeconds:F0} | {r.Kernels} |");
        sb.AppendLine().AppendLine("## Targets (issue 14)").AppendLine();
        foreach (var r in rows)
            sb.AppendLine(c, $"- {r.Mode}: embedding cosine {r.CosineMean:F4} (target ≥ 0.99: {(r.CosineMean >= 0.99 ? "met" : "**missed**")}), speedup {r.Speedup:F2}× at batch {Batch} × {SeqLen} (a measured speedup: {(r.Speedup > 1 ? "yes" : "**no**")}).");
        return sb.ToString();
    }
}
