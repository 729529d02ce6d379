using System.Globalization;
using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Fuzz;

/// <summary>
/// The seeded fuzz corpus: well-formed baselines, structural mutations of tiny models and cnn_small, external data that
/// escapes or is missing, byte mutations, and bad option values. The same seed gives the same cases, so a failure can be
/// rerun by its id.
/// </summary>
internal static class FuzzCorpus
{
    public const int Seed = 20261206;

    private const string Model = "{model}", Out = "{out}";

    /// <summary>The cheap command lines a model is run through (one is picked per case).</summary>
    private static readonly (string Name, string[] Args)[] Commands =
    [
        ("inspect", ["inspect", Model]),
        ("inspect --no-macs", ["inspect", Model, "--no-macs"]),
        ("eval", ["eval", Model, "--data", "random:2", "--runs", "1", "--warmup", "0", "--batch", "1"]),
        ("quantize static", ["quantize", Model, "-o", Out, "--data", "random:2", "--samples", "2", "--calibration-batch", "2", "--analysis-samples", "0"]),
        ("quantize dynamic", ["quantize", Model, "-o", Out, "--mode", "dynamic", "--analysis-samples", "0"]),
        ("quantize int4 rtn", ["quantize", Model, "-o", Out, "--weights", "int4", "--method", "rtn", "--group-size", "0"]),
        ("prune channels", ["prune", Model, "-o", Out, "--sparsity", "0.3"]),
        ("prune unstructured", ["prune", Model, "-o", Out, "--granularity", "unstructured", "--sparsity", "0.5"]),
    ];

    public static IReadOnlyList<FuzzCase> Build()
    {
        var random = new Random(Seed);
        var cases = new List<FuzzCase>();
        Baselines(cases);
        for (int i = 0; i < 280; i++) cases.Add(Structural(cases.Count, random));
        for (int i = 0; i < 50; i++) cases.Add(ExternalData(cases.Count, random));
        for (int i = 0; i < 110; i++) cases.Add(Bytes(cases.Count, random));
        Options(cases);
        return cases;
    }

    private static string IdOf(string cls, int index) => $"{char.ToUpperInvariant(cls[0])}{index:D3}";

    private static Dictionary<string, byte[]> ModelFile(byte[] bytes) => new() { [FuzzCase.ModelPath] = bytes };

    /// <summary>Outputs a case may add beside <c>-o</c>: a report, a JSON file or neither.</summary>
    private static string[] Extras(Random r, string[] args)
    {
        if (!args.Contains(Out) || r.Next(3) != 0) return args;
        return r.Next(2) == 0 ? [.. args, "--report", "{dir}/out/report.md"] : [.. args, "--json", "{dir}/out/result.json"];
    }

    private static void Baselines(List<FuzzCase> cases)
    {
        foreach (var (name, bytes) in new[] { ("matmul", TinyModels.Bytes(FuzzModels.MatMul())), ("conv", TinyModels.Bytes(FuzzModels.Conv())), ("cnn_small", FuzzModels.CnnSmall) })
            foreach (var (command, args) in Commands)
                cases.Add(new FuzzCase(IdOf("baseline", cases.Count), "baseline", $"{name}: {command}", args, ModelFile(bytes)));
    }

    private static (string Name, ModelProto Model) BaseModel(Random r) => r.Next(20) switch
    {
        < 9 => ("matmul", FuzzModels.MatMul()),
        < 18 => ("conv", FuzzModels.Conv()),
        _ => ("cnn_small", ModelProto.Parser.ParseFrom(FuzzModels.CnnSmall)),
    };

    private static FuzzCase Structural(int index, Random r)
    {
        var (name, model) = BaseModel(r);
        var kinds = new List<string>();
        int wanted = r.Next(4) == 0 ? 2 : 1;
        for (int tries = 0; kinds.Count < wanted && tries < 20; tries++)
        {
            var mutation = ModelMutations.All[r.Next(ModelMutations.All.Length)];
            if (model.Graph is null && mutation.Kind != "graph missing") continue;
            if (mutation.Apply(model, r)) kinds.Add(mutation.Kind);
        }
        var (command, args) = Commands[r.Next(Commands.Length)];
        return new FuzzCase(IdOf("structural", index), "structural", string.Join(" + ", kinds), Extras(r, args), ModelFile(TinyModels.Bytes(model)));
    }

    private static FuzzCase ExternalData(int index, Random r)
    {
        var (model, data) = FuzzModels.ConvWithExternalWeights();
        var w = model.Graph.Initializer.First(t => t.Name == "b0_conv_W");
        var files = ModelFile([]);
        files["m/weights.bin"] = data;
        files["secret.bin"] = data; // what an escaping location would read
        var links = new Dictionary<string, string>();
        var fifos = new List<string>();
        double? maxSeconds = null;
        string kind;
        void Set(string key, string value)
        {
            var entry = w.ExternalData.FirstOrDefault(e => e.Key == key);
            if (entry is null) w.ExternalData.Add(new StringStringEntryProto { Key = key, Value = value });
            else entry.Value = value;
        }
        switch (r.Next(16))
        {
            case 0: kind = "location escapes (..)"; Set("location", "../secret.bin"); break;
            case 1: kind = "location absolute"; Set("location", r.Next(2) == 0 ? "/etc/hostname" : "/proc/self/environ"); break;
            case 2: kind = "location has NUL"; Set("location", "weights.bin\0.txt"); break;
            case 3: kind = "location missing file"; Set("location", "missing.bin"); break;
            case 4: kind = "location is a FIFO"; Set("location", "pipe.bin"); fifos.Add("m/pipe.bin"); maxSeconds = 5; break;
            case 5: kind = "location symlink escapes"; Set("location", "link.bin"); links["m/link.bin"] = "../secret.bin"; break;
            case 6: kind = "location is a folder"; Set("location", r.Next(2) == 0 ? "." : ""); break;
            case 7: kind = "offset past the end"; Set("offset", "1000000"); break;
            case 8: kind = "offset negative"; Set("offset", "-8"); break;
            case 9: kind = "length past the end"; Set("length", "1000000"); break;
            case 10: kind = "length not a number"; Set(r.Next(2) == 0 ? "length" : "offset", r.Next(2) == 0 ? "12abc" : "99999999999999999999999"); break;
            case 11: kind = "length short"; Set("length", "4"); break;
            case 12: kind = "location missing key"; w.ExternalData.Remove(w.ExternalData.First(e => e.Key == "location")); break;
            case 13: kind = "external data and raw data"; w.RawData = Google.Protobuf.ByteString.CopyFrom(data); break;
            case 14: kind = "external data file truncated"; files["m/weights.bin"] = data[..(data.Length / 3)]; break;
            default: kind = "location back into the folder"; Set("location", "../m/./weights.bin"); break;
        }
        files[FuzzCase.ModelPath] = TinyModels.Bytes(model);
        var (command, args) = Commands[r.Next(Commands.Length)];
        return new FuzzCase(IdOf("external-data", index), "external-data", kind, Extras(r, args), files) { Links = links, Fifos = fifos, MaxSeconds = maxSeconds };
    }

    private static FuzzCase Bytes(int index, Random r)
    {
        byte[] source = r.Next(5) switch
        {
            0 => FuzzModels.CnnSmall,
            1 or 2 => TinyModels.Bytes(FuzzModels.MatMul()),
            _ => TinyModels.Bytes(FuzzModels.Conv()),
        };
        byte[] bytes;
        string kind;
        switch (r.Next(9))
        {
            case 0 or 1 or 2:
                bytes = (byte[])source.Clone();
                int flips = 1 + r.Next(16);
                for (int i = 0; i < flips; i++) bytes[r.Next(bytes.Length)] ^= (byte)(1 << r.Next(8));
                kind = "bit flips";
                break;
            case 3 or 4:
                bytes = source[..r.Next(source.Length)];
                kind = "truncated";
                break;
            case 5:
                int at = r.Next(source.Length + 1);
                var sample = FuzzModels.CnnSmall;
                bytes = [.. source.AsSpan(0, at), .. sample.AsSpan(0, r.Next(2) == 0 ? sample.Length : Math.Min(sample.Length, 4096)), .. source.AsSpan(at)];
                kind = "cnn_small inserted";
                break;
            case 6:
                bytes = (byte[])source.Clone();
                int start = r.Next(bytes.Length), length = Math.Min(bytes.Length - start, 1 + r.Next(64));
                r.NextBytes(bytes.AsSpan(start, length));
                kind = "random run";
                break;
            case 7:
                bytes = [.. source, .. Enumerable.Range(0, 1 + r.Next(32)).Select(_ => (byte)r.Next(256))];
                kind = "garbage appended";
                break;
            default:
                bytes = r.Next(3) switch { 0 => [], 1 => new byte[1 + r.Next(100)], _ => "<html>not a model</html>"u8.ToArray() };
                kind = "not a model";
                break;
        }
        // Byte mutations mostly fail at load: inspect is the cheapest way there, the others check the same refusal path.
        var (_, args) = r.Next(2) == 0 ? Commands[1] : Commands[r.Next(Commands.Length)];
        return new FuzzCase(IdOf("bytes", index), "bytes", kind, Extras(r, args), ModelFile(bytes));
    }

    private static void Options(List<FuzzCase> cases)
    {
        string[] staticQ = ["quantize", Model, "-o", Out, "--data", "random:2", "--samples", "2", "--calibration-batch", "2", "--analysis-samples", "0"];
        string[] dynamicQ = ["quantize", Model, "-o", Out, "--mode", "dynamic", "--analysis-samples", "0"];
        string[] weightQ = ["quantize", Model, "-o", Out, "--weights", "int4", "--method", "rtn"];
        string[] eval = ["eval", Model, "--data", "random:2", "--runs", "1", "--warmup", "0", "--batch", "1"];
        string[] prune = ["prune", Model, "-o", Out, "--sparsity", "0.3"];
        string[] unstructured = ["prune", Model, "-o", Out, "--granularity", "unstructured", "--sparsity", "0.5"];
        string[] mixed = ["quantize", Model, "-o", Out, "--mixed", "--size-ratio", "0.5", "--data", "random:2", "--samples", "2"];

        var list = new List<(string Kind, string[] Args, bool MustFail, Func<FuzzCase, FuzzCase>? Edit, bool OneModel)>();
        void Add(string kind, string[] args, bool mustFail = true, Func<FuzzCase, FuzzCase>? edit = null, bool oneModel = false) => list.Add((kind, args, mustFail, edit, oneModel));
        static string[] Replace(string[] args, string option, string value)
        {
            var copy = (string[])args.Clone();
            copy[Array.IndexOf(copy, option) + 1] = value;
            return copy;
        }

        foreach (var p in new[] { "-1", "101", "NaN", "Infinity" })
            Add($"--percentile {p}", [.. staticQ, "--calibration", "percentile", "--percentile", p]);
        Add("--runs -1", Replace(eval, "--runs", "-1"));
        Add("--warmup -1", Replace(eval, "--warmup", "-1"));
        Add("--analysis-samples -1", Replace(staticQ, "--analysis-samples", "-1"));
        Add("--analysis-samples -1 (dynamic)", Replace(dynamicQ, "--analysis-samples", "-1"));
        Add("--bits 3,,4", [.. mixed, "--bits", "3,,4"]);
        Add("--bits 5", [.. mixed, "--bits", "5"]);
        Add("--bits empty", [.. mixed, "--bits", ""]);
        Add("--batch 1,,64", Replace(eval, "--batch", "1,,64"));
        Add("--batch 0", Replace(eval, "--batch", "0"));
        Add("--batch x", Replace(eval, "--batch", "x"));
        Add("--keep X=4,X=8", [.. prune, "--keep", "b0_conv_conv=4,b0_conv_conv=8"]);
        Add("--keep ,,,", [.. prune, "--keep", ",,,"]);
        Add("--keep missing node", [.. prune, "--keep", "no_such_node=2"]);
        Add("--keep X=0", [.. prune, "--keep", "b0_conv_conv=0"]);
        Add("--keep X=99", [.. prune, "--keep", "b0_conv_conv=99"]);
        Add("--sparsity 1", Replace(prune, "--sparsity", "1"));
        Add("--sparsity -0.5", Replace(prune, "--sparsity", "-0.5"));
        Add("--sparsity NaN", Replace(unstructured, "--sparsity", "NaN"));
        Add("--exclude-nodes missing (static)", [.. staticQ, "--exclude-nodes", "no_such_node"]);
        Add("--exclude-nodes missing (dynamic)", [.. dynamicQ, "--exclude-nodes", "no_such_node"]);
        Add("--exclude-nodes missing (prune)", [.. unstructured, "--exclude-nodes", "no_such_node"]);
        Add("--input-shape missing input (inspect)", ["inspect", Model, "--input-shape", "no_such_input=1,4"]);
        Add("--input-shape missing input (static)", [.. staticQ, "--input-shape", "no_such_input=1,4"]);
        Add("--input-shape wrong rank (inspect)", ["inspect", Model, "--input-shape", "input=1,2,3,4,5,6"]);
        Add("--input-shape wrong rank (static)", [.. staticQ, "--input-shape", "input=1"]);
        Add("--input-shape zero", ["inspect", Model, "--input-shape", "input=0,4"]);
        Add("--data random:1000000000000", Replace(staticQ, "--data", "random:1000000000000"), mustFail: false);
        Add("--data random:-1", Replace(staticQ, "--data", "random:-1"));
        Add("--data random:0", Replace(staticQ, "--data", "random:0"));
        Add("--data random:x", Replace(eval, "--data", "random:x"));
        Add("--data missing file", Replace(eval, "--data", "{dir}/no_such_data.npy"));
        // Refusing or capping are both fine; spending 40 s starting 1000 threads on a small machine is not.
        Add("--threads 1000", [.. eval, "--threads", "1000"], mustFail: false, edit: c => c with { MaxSeconds = 10 }, oneModel: true);
        Add("--threads 0", [.. eval, "--threads", "0"]);
        Add("--threads -1", [.. eval, "--threads", "-1"]);
        Add("--samples -1", Replace(staticQ, "--samples", "-1"));
        Add("--samples 0", Replace(staticQ, "--samples", "0"));
        Add("--calibration-batch 0", Replace(staticQ, "--calibration-batch", "0"));
        Add("--group-size -1", [.. weightQ, "--group-size", "-1"]);
        Add("--damp NaN", [.. weightQ, "--damp", "NaN"]);
        Add("--damp -1", [.. weightQ, "--damp", "-1"]);
        Add("--clip-steps 0", [.. weightQ, "--clip-steps", "0"]);
        Add("--scale NaN", [.. eval, "--scale", "NaN"]);
        Add("--std 0", [.. eval, "--std", "0"]);
        Add("--mean x", [.. eval, "--mean", "1,x"]);
        Add("empty model path", ["quantize", "", "-o", Out, "--mode", "dynamic"]);
        Add("empty model path (inspect)", ["inspect", ""]);
        Add("empty -o", Replace(dynamicQ, "-o", ""));
        Add("empty --report", [.. dynamicQ, "--report", ""]);
        Add("empty --json", [.. eval, "--json", ""]);
        Add("--report is the input model", [.. dynamicQ, "--report", Model]);
        Add("--json is the input model", [.. eval, "--json", Model]);
        Add("--json equals -o", [.. dynamicQ, "--json", Out]);
        Add("--report equals -o", [.. weightQ, "--report", Out]);
        Add("-o is the input through a symlink", Replace(dynamicQ, "-o", "{dir}/m/alias.onnx"), edit: c => c with { Links = new Dictionary<string, string> { ["m/alias.onnx"] = "model.onnx" } });
        Add("-o is the input by another spelling", Replace(prune, "-o", "{dir}/m/../m/./model.onnx"));
        Add("--report names an existing folder", [.. dynamicQ, "--report", "{dir}/out/existing"], edit: c => c with { Folders = ["out/existing"] });
        Add("-o names an existing folder", Replace(dynamicQ, "-o", "{dir}/out"));
        Add("--json names an existing folder", [.. eval, "--json", "{dir}/out"]);
        Add("model is a folder", ["quantize", "{dir}/m", "-o", Out, "--mode", "dynamic"]);
        Add("model is missing", ["inspect", "{dir}/m/none.onnx"]);
        Add("-o in a missing folder", Replace(dynamicQ, "-o", "{dir}/no/such/folder/x.onnx"), mustFail: false);
        Add("--eval-data missing", [.. dynamicQ, "--eval-data", "{dir}/none.npy"]);

        var bases = new[] { ("matmul", TinyModels.Bytes(FuzzModels.MatMul())), ("conv", TinyModels.Bytes(FuzzModels.Conv())) };
        foreach (var (kind, args, mustFail, edit, oneModel) in list)
        {
            foreach (var (name, bytes) in oneModel ? bases[..1] : bases)
            {
                // The --keep cases name the conv model's nodes.
                if (kind.StartsWith("--keep", StringComparison.Ordinal) && name != "conv") continue;
                var c = new FuzzCase(IdOf("options", cases.Count), "options", kind, args, ModelFile(bytes)) { MustFail = mustFail };
                cases.Add(edit is null ? c : edit(c));
            }
        }
    }

    /// <summary>A label for the command a case runs ("quantize --mode dynamic" and so on), for messages.</summary>
    public static string CommandOf(FuzzCase c) => string.Join(' ', c.Args.Take(1).Concat(c.Args.Where(a => a is "--mode" or "--weights" or "--granularity" or "--mixed")));

    public static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
}
