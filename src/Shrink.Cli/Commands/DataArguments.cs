using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Terminal;
using Shrink.Data;

namespace Shrink.Cli.Commands;

/// <summary>The data and preprocessing options shared by commands that read samples.</summary>
internal sealed class DataArguments
{
    public DataArguments(bool dataRequired = true) => Data.Required = dataRequired;

    public Option<string> Data { get; } = new("--data") { Description = "Samples: an IDX images file (.gz or raw), a .npy file, an image folder (one subfolder per class), arrays by input name (an .npz, a folder of INPUT_NAME.npy files, JSON Lines .jsonl), a text file (with --tokenizer), or random:N" };
    public Option<string?> Labels { get; } = new("--labels") { Description = "Labels file (IDX or .npy); for IDX images it is found by replacing 'images' with 'labels' in the name" };
    public Option<long?> Samples { get; } = new("--samples") { Description = "Use at most this many samples" };
    public Option<string?> Input { get; } = new("--input") { Description = "The model input the data feeds (default: the sidecar's, or the model's only input)" };
    public Option<string?> Layout { get; } = new("--layout") { Description = "NCHW or NHWC" };
    public Option<float?> Scale { get; } = new("--scale") { Description = "Multiply raw values by this first (e.g. 0.00392156862745098 for 1/255)" };
    public Option<string?> Mean { get; } = new("--mean") { Description = "Per-channel mean, comma-separated" };
    public Option<string?> Std { get; } = new("--std") { Description = "Per-channel std, comma-separated" };
    public Option<string?> Resize { get; } = new("--resize") { Description = "Resize images to HxW (image folders)" };
    public Option<string?> Color { get; } = new("--color") { Description = "keep, grayscale or rgb (image folders)" };
    public Option<string[]> InputShape { get; } = new("--input-shape") { Description = "Fix symbolic dims for random data: name=1,3,48,320 (repeatable)", AllowMultipleArgumentsPerToken = false };
    public Option<int> Seed { get; } = new("--seed") { Description = "Seed for random data", DefaultValueFactory = _ => 0 };
    public Option<string[]> InputRange { get; } = new("--input-range") { Description = "Value range of an input's random data: name=lo,hi (repeatable; e.g. token ids, a sample rate)", AllowMultipleArgumentsPerToken = false };
    public Option<string[]> BatchAxis { get; } = new("--batch-axis") { Description = "The batch axis of an input where the inferred one is wrong: name=1 (repeatable; e.g. a recurrent state [layers,batch,hidden])", AllowMultipleArgumentsPerToken = false };

    public Option<string?> Tokenizer { get; } = new("--tokenizer") { Description = "Makes --data a text file (UTF-8) read as token ids: gpt2, cl100k_base, o200k_base, a WordPiece vocab.txt, a BPE vocab.json (merges.txt beside it), a .tiktoken file, or a character vocabulary .json" };
    public Option<int?> SeqLen { get; } = new("--seq-len") { Description = "Tokens per text sample (default: the model's fixed sequence length, else 128)" };
    public Option<string?> TextMode { get; } = new("--text-mode") { Description = "pack: documents concatenated and cut into windows (default; for LMs); pad: one document per sample, truncated or padded (attention_mask 0 on pads)" };
    public Option<string?> DocSeparator { get; } = new("--doc-separator") { Description = "Where a text document ends: line (every line; the default with --text-mode pad), blank (a blank line; the default with pack), or a marker line, e.g. % for fortune files" };
    public Option<string?> TaskName { get; } = new Option<string?>("--task")
    {
        Description = "What the model does, for its metrics (default: detected from the model, else classification): "
            + RegistryChoices.Describe(Shrink.Evaluation.Tasks.EvaluationTasks.Registry.Entries)
            + ". With lm, calibration data are token windows read as the model's input window[:-1], like evaluation",
    }.Choices(Shrink.Evaluation.Tasks.EvaluationTasks.Registry.Entries);

    private static readonly HashSet<string> NotesSaid = [];

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Data, Labels, Samples, Input, Layout, Scale, Mean, Std, Resize, Color, InputShape, Seed, InputRange, BatchAxis, Tokenizer, SeqLen, TextMode, DocSeparator, TaskName })
            command.Add(o);
    }

    /// <summary>True when --input-shape, --input-range or --batch-axis name model inputs (see <see cref="CheckAgainst"/>).</summary>
    public bool NamesInputs(ParseResult parse) =>
        (parse.GetValue(InputShape)?.Length ?? 0) + (parse.GetValue(InputRange)?.Length ?? 0) + (parse.GetValue(BatchAxis)?.Length ?? 0) > 0;

    /// <summary>Refuses options that name what <paramref name="model"/> does not have (an input, a rank, an axis), before any work.</summary>
    public void CheckAgainst(ParseResult parse, Shrink.Model.OnnxModel model, string modelPath)
    {
        CommonOptions.CheckInputShapes(CommonOptions.ParseInputShapes(parse.GetValue(InputShape) ?? []), model, modelPath);
        CommonOptions.CheckInputNames(ParseRanges(parse.GetValue(InputRange) ?? []).Keys, model, modelPath, "--input-range");
        var axes = ParseBatchAxes(parse.GetValue(BatchAxis) ?? []);
        var inputs = CommonOptions.CheckInputNames(axes.Keys, model, modelPath, "--batch-axis");
        foreach (var (name, axis) in axes)
            if (axis >= inputs[name].Dims.Count)
                throw new UsageException($"--batch-axis {name}={axis}: input '{name}' of {modelPath} has rank {inputs[name].Dims.Count}.");
    }

    /// <summary>The files these options read (for <see cref="OutputTransaction"/>: no output may overwrite them).</summary>
    public IEnumerable<(string Role, string? Path)> InputPaths(ParseResult parse)
    {
        yield return ("--data", parse.GetValue(Data));
        yield return ("--labels", parse.GetValue(Labels));
        if (parse.GetValue(Tokenizer) is string tokenizer)
            yield return ("--tokenizer", Shrink.Data.Text.TextTokenizers.PathOf(tokenizer));
    }

    /// <summary>Options from the sidecar beside the first of <paramref name="modelPaths"/> that has one, overridden by the flags given.</summary>
    public DataOptions Bind(ParseResult parse, params string?[] modelPaths)
    {
        Preprocessing? sidecar = null;
        foreach (var path in modelPaths)
        {
            if (path is null) continue;
            sidecar = Preprocessing.LoadSidecar(path);
            if (sidecar is not null) break;
        }
        var p = sidecar ?? new Preprocessing();
        if (parse.GetValue(Input) is string input) p = p with { InputName = input };
        if (parse.GetValue(Layout) is string layout)
            p = p with { Layout = Enum.TryParse<TensorLayout>(layout, ignoreCase: true, out var l) ? l : throw new UsageException($"--layout must be NCHW or NHWC, not '{layout}'.") };
        if (parse.GetValue(Scale) is float scale)
            p = p with { Scale = float.IsFinite(scale) && scale != 0 ? scale : throw new UsageException($"--scale must be a finite, non-zero number, not {scale.ToString(CultureInfo.InvariantCulture)}.") };
        if (parse.GetValue(Mean) is string mean) p = p with { Mean = Floats(mean, "--mean") };
        if (parse.GetValue(Std) is string std)
            p = p with { Std = Floats(std, "--std").Select(v => v > 0 ? v : throw new UsageException($"--std values must be positive (each divides a channel), not {v.ToString(CultureInfo.InvariantCulture)}.")).ToArray() };
        if (parse.GetValue(Resize) is string resize)
        {
            var parts = resize.Split('x', 'X', ',');
            if (parts.Length != 2 || !int.TryParse(parts[0], out int h) || !int.TryParse(parts[1], out int w) || h <= 0 || w <= 0)
                throw new UsageException($"--resize must be HxW with positive integers, not '{resize}'.");
            p = p with { ResizeHeight = h, ResizeWidth = w };
        }
        if (parse.GetValue(Color) is string color)
            p = p with { Color = Enum.TryParse<ColorMode>(color, ignoreCase: true, out var c) ? c : throw new UsageException($"--color must be keep, grayscale or rgb, not '{color}'.") };
        var shapes = CommonOptions.ParseInputShapes(parse.GetValue(InputShape) ?? []);
        if (parse.GetValue(Samples) is long n && n <= 0) throw new UsageException("--samples must be positive.");
        CheckSpec(parse.GetValue(Data), "--data");
        if (parse.GetValue(Data) is string data) DataSourceFactory.CheckPaths(data, parse.GetValue(Labels));
        return new DataOptions
        {
            Preprocessing = p,
            LabelsPath = parse.GetValue(Labels),
            ShapeOverrides = shapes,
            Seed = parse.GetValue(Seed),
            ValueRanges = ParseRanges(parse.GetValue(InputRange) ?? []),
            BatchAxes = ParseBatchAxes(parse.GetValue(BatchAxis) ?? []),
            FileReader = TextArguments.Bind(parse.GetValue(Data), parse.GetValue(Tokenizer), parse.GetValue(SeqLen), parse.GetValue(TextMode), parse.GetValue(DocSeparator)),
            Note = NoteOnce,
            Warning = WarnOnce,
            NextTokenWindows = ReadsNextTokenWindows(parse, modelPaths),
        };
    }

    /// <summary>
    /// True for <c>--task lm</c>, or, without <c>--task</c>, when file data feeds a model detected as a language model
    /// (said once): its token windows are then read as window[:-1], as evaluation reads them.
    /// </summary>
    private bool ReadsNextTokenWindows(ParseResult parse, string?[] modelPaths)
    {
        if (parse.GetValue(TaskName) is string task) return task == "lm";
        if (parse.GetValue(Data) is not string data || IsRandom(data) || modelPaths.Length == 0 || modelPaths[0] is not string path || !File.Exists(path))
            return false;
        var model = Shrink.Model.OnnxModel.Load(path, new Shrink.Model.ModelLoadOptions { LoadExternalData = false });
        var choice = Shrink.Evaluation.Tasks.EvaluationTasks.Detect(Runtime.ModelInputs.Of(model), model.Graph.Outputs);
        if (choice.Name != "lm") return false;
        NoteOnce($"task: lm, detected from the model ({choice.Detection}): token windows of n tokens feed window[:n-1]; give --task to choose another");
        return true;
    }

    /// <summary>Refuses a malformed or absurd <c>random:N</c> (the count bounded by <see cref="RandomDataSource.MaxCount"/>) before any work.</summary>
    public static void CheckSpec(string? spec, string option)
    {
        if (spec is null || !spec.StartsWith("random:", StringComparison.OrdinalIgnoreCase)) return;
        string count = spec["random:".Length..];
        if (!long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0)
            throw new UsageException($"{option} {spec}: the sample count after random: must be a positive integer, e.g. random:100.");
        if (n > RandomDataSource.MaxCount)
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{option} {spec}: at most {RandomDataSource.MaxCount} random samples (random data carries no information past a few thousand)."));
    }

    /// <summary>Parses repeated <c>name=lo,hi</c> values of --input-range.</summary>
    public static Dictionary<string, ValueRange> ParseRanges(IEnumerable<string> specs) =>
        CommonOptions.NamedValues(specs, "--input-range", "name=lo,hi with two numbers", (spec, value) =>
        {
            var parts = value.Split(',');
            if (parts.Length != 2
                || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double lo) || !double.IsFinite(lo)
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double hi) || !double.IsFinite(hi))
                throw new UsageException($"--input-range must be name=lo,hi with two numbers, not '{spec}'.");
            if (lo > hi)
                throw new UsageException($"--input-range '{spec}': the low bound {parts[0]} is above the high bound {parts[1]}.");
            return new ValueRange(lo, hi);
        });

    /// <summary>Parses repeated <c>name=axis</c> values of --batch-axis.</summary>
    public static Dictionary<string, int> ParseBatchAxes(IEnumerable<string> specs) =>
        CommonOptions.NamedValues(specs, "--batch-axis", "name=axis with a non-negative integer axis", (spec, value) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int axis) ? axis
                : throw new UsageException($"--batch-axis must be name=axis with a non-negative integer axis, not '{spec}'."));

    /// <summary>Shows each data note once per run, however many times the data is opened.</summary>
    private static void NoteOnce(string text)
    {
        lock (NotesSaid)
        {
            if (!NotesSaid.Add(text)) return;
        }
        ConsoleOutput.Note(text);
    }

    /// <summary>Shows each data warning once per run on standard error, as a plain line starting with "warning:".</summary>
    private static void WarnOnce(string text)
    {
        lock (NotesSaid)
        {
            if (!NotesSaid.Add("warning: " + text)) return;
        }
        Console.Error.WriteLine("warning: " + text);
    }

    /// <summary>True when <paramref name="spec"/> is random data (<c>random:N</c>).</summary>
    public static bool IsRandom(string? spec) => spec is not null && spec.StartsWith("random:", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens --data for <paramref name="modelPath"/> when it was given, else null (for methods that may run without data).</summary>
    public Func<IReadOnlyList<ModelInputSpec>, IDataSource>? OpenIfGiven(ParseResult parse, string modelPath)
    {
        if (parse.GetValue(Data) is not string spec) return null;
        var options = Bind(parse, modelPath);
        return Opener(spec, options, modelPath);
    }

    /// <summary>
    /// Opens <paramref name="spec"/> for <paramref name="modelPath"/>'s inputs; for a decoder with a KV cache, file data
    /// feeds the token input and the cache comes from the model decoding it (<see cref="Shrink.Pipelines.Decoding.KvCacheStateSource"/>).
    /// </summary>
    public static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Opener(string spec, DataOptions options, string modelPath) =>
        spec.StartsWith("random:", StringComparison.OrdinalIgnoreCase)
            ? inputs => DataSourceFactory.Open(spec, options, inputs)
            : inputs => Shrink.Pipelines.Decoding.KvCacheStateSource.OpenFor(modelPath, inputs, i => DataSourceFactory.Open(spec, options, i), options.Note);

    private static float[] Floats(string text, string option) =>
        CommonOptions.List(text, option).Select(s => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v) ? v : throw new UsageException($"{option}: '{s}' is not a finite number.")).ToArray();
}
