using System.CommandLine;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Runtime;

namespace Shrink.Cli.Commands;

/// <summary>
/// <c>--eval-data</c> for the compressing commands: once the output is saved, measure it against the input model on
/// held-out data (accuracy, fidelity, latency side by side, size, parameters, MACs), so one command gives the report's
/// before and after. Preprocessing comes from the input model's sidecar and the shared data flags.
/// </summary>
internal sealed class EvaluationArguments
{
    public Option<string?> Data { get; } = new("--eval-data") { Description = "Held-out data to evaluate the output against the input model (accuracy, fidelity, latency, size); labels are found as for --data, or given by --eval-labels" };
    public Option<string?> Labels { get; } = new("--eval-labels") { Description = "Labels for --eval-data (IDX or .npy)" };
    public Option<long?> Samples { get; } = new("--eval-samples") { Description = "Evaluate on at most this many samples" };
    public Option<string> Batches { get; } = new("--eval-batch") { Description = "Batch sizes timed for --eval-data (one intra-op thread)", DefaultValueFactory = _ => "1,64" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Data, Labels, Samples, Batches }) command.Add(o);
    }

    /// <summary>Refuses a missing <c>--eval-data</c> before any work is done (the command would otherwise fail after writing its output).</summary>
    public void Validate(ParseResult parse)
    {
        OptionScope.Require(parse, parse.GetValue(Data) is not null, "--eval-data", "give --eval-data PATH or leave it out", Labels, Samples, Batches);
        if (parse.GetValue(Samples) is long n && n <= 0) throw new UsageException("--eval-samples must be positive.");
        CommonOptions.ParseBatches(parse.GetValue(Batches)!, "--eval-batch");
        DataArguments.CheckSpec(parse.GetValue(Data), "--eval-data");
        if (parse.GetValue(Data) is not string spec || spec.StartsWith("random:", StringComparison.Ordinal)) return;
        if (spec.Length == 0) throw new UsageException("--eval-data: the path is empty.");
        if (!File.Exists(spec) && !Directory.Exists(spec)) throw new UsageException($"--eval-data {spec}: no such file or folder.");
        if (File.Exists(spec) && !Shrink.Model.FileIdentity.IsRegularFile(spec)) throw new UsageException($"--eval-data {spec} is not a regular file (a FIFO, device or socket).");
    }

    /// <summary>The files these options read (for <see cref="OutputTransaction"/>: no output may overwrite them).</summary>
    public IEnumerable<(string Role, string? Path)> InputPaths(ParseResult parse)
    {
        yield return ("--eval-data", parse.GetValue(Data));
        yield return ("--eval-labels", parse.GetValue(Labels));
    }

    /// <summary>Evaluates <paramref name="output"/> against <paramref name="input"/>; null when --eval-data was not given.</summary>
    public EvaluationResult? Run(ParseResult parse, DataArguments data, string input, string output)
    {
        if (parse.GetValue(Data) is not string spec) return null;
        if (parse.GetValue(Samples) is long n && n <= 0) throw new UsageException("--eval-samples must be positive.");
        var dataOptions = data.Bind(parse, input) with { LabelsPath = parse.GetValue(Labels), NextTokenWindows = false };
        var options = new EvaluationOptions
        {
            LatencyBatchSizes = CommonOptions.ParseBatches(parse.GetValue(Batches)!, "--eval-batch"),
            Runtime = new RuntimeOptions { IntraOpThreads = 1 },
            MaxSamples = parse.GetValue(Samples),
            Task = parse.GetValue(data.TaskName),
        };
        return ConsoleOutput.WithProgress("evaluate", progress =>
            new ModelEvaluator(options).Evaluate(output, input, inputs => DataSourceFactory.Open(spec, dataOptions, inputs), progress));
    }
}
