using System.CommandLine;
using System.Globalization;
using Shrink.Cli.Terminal;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Model;

namespace Shrink.Cli.Commands;

/// <summary>The options that pick and measure per-layer sensitivities, shared by sensitivity, quantize --mixed, tune and pareto.</summary>
internal sealed class SensitivityArguments
{
    public Option<string> Bits { get; } = new("--bits") { Description = "Candidate bit widths, comma-separated (2, 3, 4, 8)", DefaultValueFactory = _ => "2,3,4,8" };
    public Option<string> Sensitivity { get; } = new("--sensitivity") { Description = $"Sensitivity metric (default hutchinson): {RegistryChoices.Describe(SensitivityMetrics.Registry.Entries)}", DefaultValueFactory = _ => "hutchinson" };
    public Option<int> MaxProbes { get; } = new("--max-probes") { Description = "Hutchinson: the most probes per layer", DefaultValueFactory = _ => 64 };
    public Option<double> Tolerance { get; } = new("--tolerance") { Description = "Hutchinson: stop probing a layer when the relative standard error is below this", DefaultValueFactory = _ => 0.05 };
    public Option<double> TimeBudget { get; } = new("--time-budget") { Description = "Hutchinson: seconds the whole analysis may take, split over the layers; a layer stops probing when its share is spent and reports the relative standard error it reached", DefaultValueFactory = _ => 120 };
    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Measure again instead of reusing MODEL.sensitivity.json" };

    public SensitivityArguments(bool methodIsSensitivity = false)
    {
        if (methodIsSensitivity) Sensitivity = new Option<string>("--method") { Description = Sensitivity.Description, DefaultValueFactory = _ => "hutchinson" };
        Sensitivity.Choices(SensitivityMetrics.Registry.Entries);
    }

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Bits, Sensitivity, MaxProbes, Tolerance, TimeBudget, NoCache }) command.Add(o);
    }

    public static int[] ParseBits(string text)
    {
        var bits = CommonOptions.List(text, "--bits")
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int b) && b is 2 or 3 or 4 or 8 ? b : throw new UsageException($"--bits: '{s}' is not one of 2, 3, 4, 8."))
            .Distinct().Order().ToArray();
        return bits.Length > 0 ? bits : throw new UsageException("--bits needs at least one width.");
    }

    public SensitivityOptions Bind(ParseResult parse, DataArguments data, int groupSize, IReadOnlySet<string> excludeNodes, IReadOnlySet<string> excludeOps)
    {
        int probes = parse.GetValue(MaxProbes);
        if (probes < 2) throw new UsageException("--max-probes must be at least 2.");
        double tolerance = parse.GetValue(Tolerance);
        if (!(tolerance > 0)) throw new UsageException("--tolerance must be positive.");
        double timeBudget = parse.GetValue(TimeBudget);
        if (!(timeBudget > 0)) throw new UsageException("--time-budget must be a positive number of seconds.");
        return new SensitivityOptions
        {
            Bits = ParseBits(parse.GetValue(Bits)!),
            Method = parse.GetValue(Sensitivity)!,
            Samples = parse.GetValue(data.Samples) ?? 256,
            GroupSize = groupSize,
            Loss = parse.GetValue(data.Labels) is null ? "kl" : "ce",
            MaxProbes = probes,
            MinProbes = Math.Min(8, probes),
            Tolerance = tolerance,
            TimeBudgetSeconds = timeBudget,
            ExcludeNodes = excludeNodes,
            ExcludeOps = excludeOps,
        };
    }

    /// <summary>Measures (or reads from the cache beside the model) the sensitivities, with a progress bar over the layers.</summary>
    public SensitivityResult Measure(ParseResult parse, string modelPath, OnnxModel model, SensitivityOptions options, DataArguments data)
    {
        string dataSpec = parse.GetValue(data.Data)!;
        var dataOptions = data.Bind(parse, modelPath);
        if (dataOptions.NextTokenWindows) options = options with { Task = "lm" };
        SensitivityResult Compute() => ConsoleOutput.WithProgress("sensitivity", progress =>
            new SensitivityAnalyzer(options).Analyze(model, DataArguments.Opener(dataSpec, dataOptions, modelPath), progress));
        if (parse.GetValue(NoCache)) return Compute();
        var pre = dataOptions.Preprocessing;
        string dataKey = FormattableString.Invariant($"{(File.Exists(dataSpec) ? Path.GetFullPath(dataSpec) : dataSpec)}|{dataOptions.LabelsPath}|{pre.InputName}|{pre.Layout}|{pre.Scale}|{string.Join(",", pre.Mean)}|{string.Join(",", pre.Std)}|{pre.ResizeHeight}x{pre.ResizeWidth}|{pre.Color}|{dataOptions.Seed}");
        var result = SensitivityCache.GetOrCompute(modelPath, options, dataKey, Compute);
        if (result.FromCache) ConsoleOutput.Note($"sensitivity read from {SensitivityCache.PathFor(modelPath)}");
        foreach (string warning in result.Warnings) ConsoleOutput.Note($"warning: {warning}");
        return result;
    }
}
