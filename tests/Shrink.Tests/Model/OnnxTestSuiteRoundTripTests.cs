using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Xunit.Abstractions;

namespace Shrink.Tests.Model;

/// <summary>
/// Every model of ONNX's own backend test suite (and the shared reference models) must load, save and reload
/// through <see cref="OnnxModel"/> without losing anything, and the saved file must compute exactly what the
/// original computes in ONNX Runtime.
/// </summary>
public sealed partial class OnnxTestSuiteRoundTripTests(ITestOutputHelper output)
{
    private static readonly string[] Collections = ["node", "pytorch-converted", "pytorch-operator", "simple"];

    // Ops that draw from ORT's random generator (and Dropout given training_mode): their outputs cannot match the
    // suite's numpy-drawn references, and without a seed two sessions draw differently, so then only types and
    // shapes are compared.
    private static readonly HashSet<string> RandomOps =
        new(["RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial"], StringComparer.Ordinal);

    // Cases where ONNX Runtime itself (on the original file) disagrees with ONNX 1.12's stored reference outputs.
    // The round trip is still compared bit for bit with the original; only the reference check is waived.
    private static readonly Dictionary<string, string> KnownOrtDeviations = new(StringComparer.Ordinal)
    {
        ["node/test_cast_FLOAT_to_BFLOAT16"] = "ORT rounds to nearest bfloat16 (0.48046875) where ONNX 1.12's reference truncates (0.478515625)",
        ["node/test_cast_FLOAT_to_STRING"] = "ORT prints floats with more digits (0.60484552 vs numpy's 0.6048455)",
        ["node/test_castlike_FLOAT_to_STRING"] = "ORT prints floats with more digits (0.60484552 vs numpy's 0.6048455)",
        ["node/test_castlike_FLOAT_to_STRING_expanded"] = "ORT prints floats with more digits (0.60484552 vs numpy's 0.6048455)",
        ["node/test_dft"] = "near-zero bins off by about 1.1e-4 (float32 accumulation), just over atol",
        ["node/test_dft_axis"] = "near-zero bins off by about 1.1e-4 (float32 accumulation), just over atol",
        ["node/test_maxunpool_export_with_output_shape"] = "ORT and the reference place the unpooled values differently",
        ["node/test_resize_downsample_scales_cubic_align_corners"] = "ORT and ONNX 1.12's reference disagree on align_corners downsampling",
        ["node/test_resize_downsample_scales_linear_align_corners"] = "ORT and ONNX 1.12's reference disagree on align_corners downsampling",
    };

    private sealed record SuiteCase(string Name, string ModelPath, IReadOnlyList<string> DataSets);

    private sealed class Tally
    {
        public int Cases;
        public int RoundTripped;
        public int Ran;
        public List<string> Deviations { get; } = [];
        public List<string> RandomCases { get; } = [];
        public List<string> Failures { get; } = [];
        public SortedDictionary<string, List<string>> Skips { get; } = new(StringComparer.Ordinal);

        public void Skip(string reason, string name)
        {
            if (!Skips.TryGetValue(reason, out var list)) Skips[reason] = list = [];
            list.Add(name);
        }
    }

    [Fact]
    public void Every_suite_model_round_trips_and_runs_identically_in_onnx_runtime()
    {
        if (!Directory.Exists(RepoPaths.OnnxTestData))
            Assert.Fail($"ONNX's backend test data is missing ({RepoPaths.OnnxTestData}); install it with `apt-get install libonnx-testdata`.");
        var cases = FindCases();
        Assert.True(cases.Count > 1000, $"Expected over 1000 ONNX test cases under {RepoPaths.OnnxTestData}, found {cases.Count}.");
        var unknown = KnownOrtDeviations.Keys.Except(cases.Select(c => c.Name)).ToList();
        Assert.True(unknown.Count == 0, "Known deviations name no suite case: " + string.Join(", ", unknown));

        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        using var temp = new TempDirectory();
        foreach (var c in cases)
        {
            tally.Cases++;
            try
            {
                RunCase(c, temp, tally);
            }
            catch (Exception e)
            {
                tally.Failures.Add($"{c.Name}: unexpected {e.GetType().Name}: {e.Message}");
            }
        }

        int skipped = tally.Skips.Values.Sum(l => l.Count);
        string reasons = string.Join("; ", tally.Skips.OrderByDescending(kv => kv.Value.Count).Select(kv => $"{kv.Value.Count} {kv.Key}"));
        output.WriteLine($"{tally.Cases} cases, {tally.Ran} round-tripped and ran in ORT, {skipped} skipped by ORT ({reasons}); " +
                         $"{tally.RoundTripped} round-tripped in all; {tally.Failures.Count} failures; {clock.Elapsed.TotalSeconds:F1} s.");
        foreach (var (reason, names) in tally.Skips)
            output.WriteLine($"  skipped, {reason}: {string.Join(", ", names)}");
        output.WriteLine($"  ran, reference check waived (known ORT deviation): {string.Join("; ", tally.Deviations)}");
        output.WriteLine($"  ran, random ops (reference not comparable): {string.Join(", ", tally.RandomCases)}");

        Assert.True(tally.Failures.Count == 0, $"{tally.Failures.Count} failures:\n" + string.Join("\n", tally.Failures.Take(60)));
        Assert.Equal(tally.Cases, tally.RoundTripped);
        Assert.True(tally.Ran >= 800, $"Only {tally.Ran} of {tally.Cases} cases ran in ONNX Runtime; expected at least 800.");
    }

    private static List<SuiteCase> FindCases()
    {
        var cases = new List<SuiteCase>();
        foreach (var collection in Collections)
        {
            string root = Path.Combine(RepoPaths.OnnxTestData, collection);
            if (!Directory.Exists(root)) continue;
            foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
            {
                string model = Path.Combine(dir, "model.onnx");
                if (!File.Exists(model)) continue;
                var sets = Directory.GetDirectories(dir, "test_data_set_*").Order(StringComparer.Ordinal).ToList();
                cases.Add(new SuiteCase($"{collection}/{Path.GetFileName(dir)}", model, sets));
            }
        }
        if (Directory.Exists(RepoPaths.SharedModels))
        {
            foreach (var model in Directory.GetFiles(RepoPaths.SharedModels, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                cases.Add(new SuiteCase("shared/" + Path.GetRelativePath(RepoPaths.SharedModels, model), model, []));
        }
        return cases;
    }

    private static void RunCase(SuiteCase c, TempDirectory temp, Tally tally)
    {
        // 1. Load, save, reload, save again.
        string saved = temp.File("roundtrip.onnx");
        string savedAgain = temp.File("roundtrip2.onnx");
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(c.ModelPath);
            model.Save(saved);
            OnnxModel.Load(saved).Save(savedAgain);
        }
        catch (ShrinkException e)
        {
            tally.Failures.Add($"{c.Name}: load/save failed: {e.Message}");
            return;
        }
        byte[] savedBytes = File.ReadAllBytes(saved);
        if (!savedBytes.AsSpan().SequenceEqual(File.ReadAllBytes(savedAgain)))
            tally.Failures.Add($"{c.Name}: saving the reloaded model gives different bytes");

        // 2. The saved model says what the original says.
        var original = ModelProto.Parser.ParseFrom(File.ReadAllBytes(c.ModelPath));
        var roundTrip = ModelProto.Parser.ParseFrom(savedBytes);
        foreach (var difference in SemanticDifferences(original, roundTrip))
            tally.Failures.Add($"{c.Name}: {difference}");
        tally.RoundTripped++;

        // 3. Both files compute the same in ONNX Runtime, and what the suite says they should.
        RunInOrt(c, original, saved, tally);
    }

    private static IEnumerable<string> SemanticDifferences(ModelProto a, ModelProto b)
    {
        if (a.IrVersion != b.IrVersion) yield return $"ir_version {a.IrVersion} became {b.IrVersion}";
        if (!a.OpsetImport.Equals(b.OpsetImport)) yield return $"opset_import {a.OpsetImport} became {b.OpsetImport}";
        if (!a.MetadataProps.Equals(b.MetadataProps)) yield return "metadata_props changed";
        if (a.DocString != b.DocString) yield return "model doc_string changed";
        if (a.ProducerName != b.ProducerName || a.ProducerVersion != b.ProducerVersion || a.Domain != b.Domain || a.ModelVersion != b.ModelVersion)
            yield return "producer, domain or model_version changed";
        if (a.Functions.Count != b.Functions.Count) yield return $"functions: {a.Functions.Count} became {b.Functions.Count}";
        else if (!a.Functions.Equals(b.Functions)) yield return "a function changed";
        if (!a.TrainingInfo.Equals(b.TrainingInfo)) yield return "training_info changed";
        var g = a.Graph;
        var h = b.Graph;
        if (g.Name != h.Name) yield return $"graph name '{g.Name}' became '{h.Name}'";
        if (g.DocString != h.DocString) yield return "graph doc_string changed";
        if (g.ValueInfo.Count != h.ValueInfo.Count) yield return $"value_info: {g.ValueInfo.Count} entries became {h.ValueInfo.Count}";
        else if (!g.ValueInfo.Equals(h.ValueInfo)) yield return "a value_info entry changed";
        if (!g.Input.Equals(h.Input)) yield return "graph inputs changed";
        if (!g.Output.Equals(h.Output)) yield return "graph outputs changed";
        if (!g.Node.Equals(h.Node)) yield return "nodes changed (op, inputs, outputs, attributes or doc strings)";
        if (!g.SparseInitializer.Equals(h.SparseInitializer)) yield return "sparse initializers changed";
        if (!g.QuantizationAnnotation.Equals(h.QuantizationAnnotation)) yield return "quantization annotations changed";
        if (g.Initializer.Count != h.Initializer.Count) yield return $"initializers: {g.Initializer.Count} became {h.Initializer.Count}";
        var saved = h.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            if (!saved.TryGetValue(t.Name, out var u)) { yield return $"initializer '{t.Name}' is missing"; continue; }
            if (t.DataType != u.DataType || !t.Dims.Equals(u.Dims)) { yield return $"initializer '{t.Name}' changed type or dims"; continue; }
            bool same = t.DataType == (int)TensorProto.Types.DataType.String
                ? t.StringData.Equals(u.StringData)
                : TensorBytes.Raw(t).AsSpan().SequenceEqual(TensorBytes.Raw(u));
            if (!same) yield return $"initializer '{t.Name}' changed its data";
            if (t.DocString != u.DocString) yield return $"initializer '{t.Name}' changed its doc_string";
        }
    }

    private static void RunInOrt(SuiteCase c, ModelProto original, string savedPath, Tally tally)
    {
        InferenceSession originalSession;
        try
        {
            originalSession = OrtRunner.Open(c.ModelPath);
        }
        catch (OnnxRuntimeException e)
        {
            tally.Skip(SkipReason("load", e.Message), c.Name);
            return;
        }
        using (originalSession)
        {
            InferenceSession savedSession;
            try
            {
                savedSession = OrtRunner.Open(savedPath);
            }
            catch (OnnxRuntimeException e)
            {
                tally.Failures.Add($"{c.Name}: ORT loads the original but not the round trip: {e.Message}");
                return;
            }
            using (savedSession)
            {
                if (originalSession.InputMetadata.Values.Any(m => !m.IsTensor) || originalSession.OutputMetadata.Values.Any(m => !m.IsTensor))
                {
                    tally.Skip("sequence, map or optional input or output", c.Name);
                    return;
                }
                var (random, seeded) = RandomNodes(original.Graph);
                if (random) tally.RandomCases.Add(seeded ? c.Name + " (seeded)" : c.Name);
                var dataSets = c.DataSets.Count > 0
                    ? c.DataSets.Select(d => (Name: Path.GetFileName(d), Inputs: ReadInputs(d, originalSession), Expected: ReadOutputs(d))).ToList()
                    : [("synthetic", SyntheticInputs(originalSession), (List<TensorProto>?)null)];
                foreach (var (setName, inputs, expected) in dataSets)
                {
                    IReadOnlyList<OutputTensor> want;
                    try
                    {
                        want = OrtRunner.Run(originalSession, inputs);
                    }
                    catch (OnnxRuntimeException e)
                    {
                        tally.Skip(SkipReason("run", e.Message), c.Name);
                        return;
                    }
                    IReadOnlyList<OutputTensor> got;
                    try
                    {
                        got = OrtRunner.Run(savedSession, inputs);
                    }
                    catch (OnnxRuntimeException e)
                    {
                        tally.Failures.Add($"{c.Name}/{setName}: ORT runs the original but not the round trip: {e.Message}");
                        return;
                    }
                    for (int i = 0; i < want.Count; i++)
                    {
                        string? difference = random && !seeded
                            ? (want[i].ElementType == got[i].ElementType && want[i].Shape.SequenceEqual(got[i].Shape) ? null : $"output '{want[i].Name}' type or shape differs")
                            : TensorCompare.BitIdentical(want[i], got[i]);
                        if (difference is not null)
                            tally.Failures.Add($"{c.Name}/{setName}: round trip differs from the original: {difference}");
                    }
                    if (expected is null || random) continue;
                    var deviations = new List<string>();
                    for (int i = 0; i < Math.Min(expected.Count, want.Count); i++)
                    {
                        var reference = expected[i];
                        var actual = reference.Name.Length > 0 ? want.FirstOrDefault(w => w.Name == reference.Name) ?? want[i] : want[i];
                        // ONNX 1.12 stores bfloat16 data as uint16 tensors with the same bits.
                        if (actual.ElementType == (int)TensorProto.Types.DataType.Bfloat16 && reference.DataType == (int)TensorProto.Types.DataType.Uint16)
                        {
                            reference = reference.Clone();
                            reference.DataType = (int)TensorProto.Types.DataType.Bfloat16;
                        }
                        string? difference = TensorCompare.WithinTolerance(actual, reference);
                        if (difference is not null) deviations.Add(difference);
                    }
                    if (KnownOrtDeviations.TryGetValue(c.Name, out string? why))
                        tally.Deviations.Add(deviations.Count > 0 ? $"{c.Name} ({why})" : $"{c.Name} (no longer deviates: remove it from the list)");
                    else
                        tally.Failures.AddRange(deviations.Select(d => $"{c.Name}/{setName}: ORT's output differs from the suite's reference: {d}"));
                }
                tally.Ran++;
            }
        }
    }

    private static Dictionary<string, TensorProto> ReadInputs(string dataSet, InferenceSession session)
    {
        var names = session.InputNames;
        var inputs = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        var files = NumberedFiles(dataSet, "input_");
        for (int i = 0; i < files.Count; i++)
        {
            var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(files[i]));
            string name = t.Name.Length > 0 && names.Contains(t.Name) ? t.Name : names[i];
            // ONNX 1.12 stores bfloat16 data as uint16 tensors with the same bits.
            if (t.DataType == (int)TensorProto.Types.DataType.Uint16
                && session.InputMetadata[name].ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.BFloat16)
            {
                t.DataType = (int)TensorProto.Types.DataType.Bfloat16;
            }
            inputs[name] = t;
        }
        return inputs;
    }

    private static List<TensorProto> ReadOutputs(string dataSet) =>
        NumberedFiles(dataSet, "output_").Select(f => TensorProto.Parser.ParseFrom(File.ReadAllBytes(f))).ToList();

    private static List<string> NumberedFiles(string dir, string prefix) =>
        Directory.GetFiles(dir, prefix + "*.pb")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f)[prefix.Length..], CultureInfo.InvariantCulture))
            .ToList();

    // For models without stored test data: deterministic values, symbolic dims set to 2.
    private static Dictionary<string, TensorProto> SyntheticInputs(InferenceSession session)
    {
        var inputs = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        int seed = 7;
        foreach (var (name, meta) in session.InputMetadata)
        {
            long[] dims = meta.Dimensions.Select(d => d > 0 ? (long)d : 2L).ToArray();
            long count = dims.Aggregate(1L, (x, y) => x * y);
            if (meta.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int64)
            {
                // Token ids, time steps: small values every table in the shared models holds.
                var ids = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
                ids.Dims.AddRange(dims);
                for (long i = 0; i < count; i++) ids.Int64Data.Add(i % 3);
                inputs[name] = ids;
                continue;
            }
            if (meta.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
                throw new NotSupportedException($"synthetic inputs are float or int64 only; '{name}' is {meta.ElementDataType}");
            inputs[name] = TinyModels.FloatTensor(name, dims, TinyModels.RandomFloats((int)count, seed++));
        }
        return inputs;
    }

    // Whether the graph (subgraphs included) draws random numbers, and whether every such node is seeded.
    private static (bool Random, bool Seeded) RandomNodes(GraphProto graph)
    {
        bool random = false, seeded = true;
        foreach (var n in AllNodes(graph))
        {
            bool draws = RandomOps.Contains(n.OpType)
                || (n.OpType == "Dropout" && n.Input.Count >= 3 && n.Input[2].Length > 0); // training_mode given
            if (!draws) continue;
            random = true;
            seeded &= n.Attribute.Any(a => a.Name == "seed");
        }
        return (random, random && seeded);
    }

    private static IEnumerable<NodeProto> AllNodes(GraphProto graph)
    {
        foreach (var n in graph.Node)
        {
            yield return n;
            foreach (var a in n.Attribute)
            {
                var graphs = a.G is not null ? a.Graphs.Prepend(a.G) : a.Graphs;
                foreach (var g in graphs)
                    foreach (var m in AllNodes(g)) yield return m;
            }
        }
    }

    // A short reason for tallies: the missing kernel or op, or ORT's error code and first words.
    private static string SkipReason(string stage, string message)
    {
        var missing = MissingKernel().Match(message);
        if (missing.Success) return $"{stage}: no ORT kernel for {missing.Groups[1].Value}";
        var unregistered = UnregisteredOp().Match(message);
        if (unregistered.Success) return $"{stage}: {unregistered.Groups[1].Value} is not an ORT op";
        var init = KernelInitFailed().Match(message);
        if (init.Success) return $"{stage}: kernel initialisation failed ({init.Groups[1].Value})";
        var code = ErrorCode().Match(message);
        string text = code.Success ? message[(code.Index + code.Length)..].Trim() : message;
        text = text.Split('\n')[0];
        if (text.Length > 100) text = text[..100] + "…";
        return $"{stage}: {(code.Success ? code.Groups[1].Value + ": " : "")}{text}";
    }

    [GeneratedRegex(@"(\S+) is not a registered function/op")]
    private static partial Regex UnregisteredOp();

    [GeneratedRegex(@"Exception during initialization: \S*/([^/:]+):\d+")]
    private static partial Regex KernelInitFailed();

    [GeneratedRegex(@"Could not find an implementation for (\S+)")]
    private static partial Regex MissingKernel();

    [GeneratedRegex(@"\[ErrorCode:(\w+)\]")]
    private static partial Regex ErrorCode();
}
