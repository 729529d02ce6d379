using System.CommandLine;

namespace Shrink.Cli.Commands;

/// <summary>
/// What every model-writing command with an evaluation takes (<c>prune</c>, <c>lowrank</c>): MODEL, <c>-o</c>,
/// <c>--report</c>, <c>--json</c>, <c>--recipe-out</c> where asked, the calibration data and <c>--eval-data</c>; and how it starts: options checked, then
/// one output transaction over all inputs and outputs.
/// </summary>
internal sealed class CompressionArguments(string outputDescription, bool recipe = false)
{
    public Argument<string> Model { get; } = new("MODEL") { Description = "The float ONNX model" };
    public Option<string> Output { get; } = new("--output", "-o") { Description = outputDescription, Required = true };
    public Option<string?> Report { get; } = new("--report") { Description = "Write a Markdown report" };
    public Option<string?> Json { get; } = CommonOptions.Json();
    /// <summary><c>--recipe-out</c> for commands a recipe can replay; null for the others.</summary>
    public Option<string?>? RecipeOut { get; } = recipe ? Commands.RecipeOut.Create() : null;
    public DataArguments Data { get; } = new(dataRequired: false);
    public EvaluationArguments Evaluate { get; } = new();

    /// <summary>Adds MODEL and -o first, then <paramref name="options"/>, then --report, --json, the data and evaluation options.</summary>
    public Command Create(string name, string description, params Option[] options)
    {
        var command = new Command(name, description) { Model, Output };
        foreach (var o in options) command.Add(o);
        command.Add(Report);
        command.Add(Json);
        if (RecipeOut is not null) command.Add(RecipeOut);
        Data.AddTo(command);
        Evaluate.AddTo(command);
        return command;
    }

    /// <summary>Checks the evaluation options, then begins the transaction over MODEL, the data and the outputs.</summary>
    public OutputTransaction Begin(ParseResult parse, out string input, out string outPath)
    {
        Evaluate.Validate(parse);
        input = parse.GetValue(Model)!;
        outPath = parse.GetValue(Output)!;
        return OutputTransaction.Begin([("MODEL", input), .. Data.InputPaths(parse), .. Evaluate.InputPaths(parse)],
            [.. OutputTransaction.ModelOutputs(input, outPath), ("--report", parse.GetValue(Report)), ("--json", parse.GetValue(Json)), ("--recipe-out", RecipeOut is null ? null : parse.GetValue(RecipeOut))]);
    }
}
