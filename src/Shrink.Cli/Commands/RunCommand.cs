using System.CommandLine;
using System.Text.Json.Nodes;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Methods;
using Shrink.Model;
using Shrink.Recipes;
using Shrink.Reports;
using Shrink.Reports.Rendering;

namespace Shrink.Cli.Commands;

/// <summary>
/// <c>shrink run RECIPE.json</c>: checks the whole recipe (methods, keys, options, node and input names, output paths)
/// before anything runs, applies its steps in order through the same library classes as the commands, and writes the
/// model, report and JSON at the end, all or nothing (<see cref="OutputTransaction"/>). Results embed the recipe.
/// </summary>
internal static class RunCommand
{
    /// <summary>Rows of each table printed on the console (the report has them all).</summary>
    private const int ConsoleRows = 16;

    public static Command Create()
    {
        var recipeFile = new Argument<string>("RECIPE") { Description = "The recipe: a JSON file with model, output, steps [{method, options}], data, report and json" };
        var command = new Command("run", $"Run a recipe: compression steps ({string.Join(", ", CompressionMethods.Registry.Names)}) with their options, the data and the outputs in one JSON file. `quantize` and `prune` write one with --recipe-out.")
        {
            recipeFile,
        };
        command.SetAction(parse => Run(parse.GetValue(recipeFile)!));
        return command;
    }

    private static int Run(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"RECIPE {path}: no such file.");
        Recipe recipe;
        try
        {
            recipe = RecipeJson.Parse(File.ReadAllText(path), path);
        }
        catch (RecipeException e)
        {
            throw new UsageException(e.Message);
        }
        (DataArguments Arguments, ParseResult Parse)? data = recipe.Data is null ? null : RecipeDataArguments.Parse(recipe.Data, path);
        using var outputs = OutputTransaction.Begin(
            [("RECIPE", path), ("the recipe's model", recipe.Model), .. data?.Arguments.InputPaths(data.Value.Parse) ?? []],
            [.. ModelOutputs(recipe.Model, recipe.Output), ("the recipe's report", recipe.Report), ("the recipe's json", recipe.Json)]);
        var onnx = outputs.LoadModel(recipe.Model);
        for (int i = 0; i < recipe.Steps.Count; i++)
        {
            var step = recipe.Steps[i];
            CommonOptions.CheckNodeNames(CompressionMethods.Create(step.Method).NodeNames(step.Options), onnx, $"{path}: steps[{i}] ({step.Method})");
        }
        Func<IReadOnlyList<ModelInputSpec>, IDataSource>? open = null;
        if (data is var (arguments, dataParse))
        {
            arguments.CheckAgainst(dataParse, onnx, recipe.Model);
            open = arguments.OpenIfGiven(dataParse, recipe.Model);
        }
        outputs.ProbeData = open;
        string recipeText = RecipeJson.Write(recipe);

        var model = onnx;
        var results = new List<ICompressionResult>();
        foreach (var step in recipe.Steps)
        {
            var method = CompressionMethods.Create(step.Method);
            var current = model;
            var result = ConsoleOutput.WithProgress(step.Method, progress => method.Apply(current, step.Options, open, progress));
            results.Add(result);
            model = result.Model;
        }
        string staged = outputs.StageModel(model, recipe.Model, recipe.Output);
        long inBytes = onnx.SizeOnDisk ?? 0, outBytes = OutputTransaction.StagedSize(staged);
        var parts = new List<Report>();
        long before = inBytes;
        for (int i = 0; i < results.Count; i++)
        {
            long after = i == results.Count - 1 ? outBytes : SizeInMemory(results[i].Model);
            parts.Add(CompressionReports.Build(results[i], recipe.Model, recipe.Output, before, after));
            before = after;
        }
        string title = parts.Count == 1 ? parts[0].Title
            : $"Recipe `{Path.GetFileName(recipe.Model)}` → `{Path.GetFileName(recipe.Output)}`: {string.Join(", then ", recipe.Steps.Select(s => s.Method))}";
        var report = Report.Combine(title, parts, recipeText);

        var json = JsonNode.Parse(ReportJson.Serialize(report))!.AsObject();
        json.Insert(0, "model", recipe.Model);
        json.Insert(1, "output", recipe.Output);
        json.Insert(2, "size_bytes", outBytes);
        json.Insert(3, "input_size_bytes", inBytes);
        string jsonText = JsonOutput.Serialize(json);
        if (recipe.Json is string jsonPath && jsonPath != "-") outputs.StageText(jsonPath, jsonText + "\n", "the recipe's json");
        if (recipe.Report is string reportPath) outputs.StageText(reportPath, ReportFormat.Render(report, reportPath), "the recipe's report");
        outputs.Commit();

        if (recipe.Json == "-")
        {
            Console.Out.WriteLine(jsonText);
        }
        else
        {
            foreach (var s in report.Sections) ConsoleOutput.Write(Capped(s));
            Console.Out.WriteLine($"wrote {recipe.Output}");
        }
        if (recipe.Report is not null) ConsoleOutput.Note($"report written to {recipe.Report}");
        return ExitCodes.Ok;
    }

    private static IEnumerable<(string Role, string? Path)> ModelOutputs(string input, string output)
    {
        yield return ("the recipe's output", output);
        if (output.Length > 0 && File.Exists(Preprocessing.SidecarPath(input)))
            yield return ("the preprocessing sidecar of the recipe's output", Preprocessing.SidecarPath(output));
    }

    // An intermediate model's size (it is never written): its serialized bytes, 0 when too large for one message.
    private static long SizeInMemory(OnnxModel model) => model.FitsInOneMessage() ? model.ToByteArray().LongLength : 0;

    private static ReportSection Capped(ReportSection section)
    {
        if (section.Table.Rows.Count <= ConsoleRows) return section;
        var table = new MarkdownTable([.. section.Table.Headers]);
        foreach (var row in section.Table.Rows.Take(ConsoleRows)) table.Add([.. row]);
        return section with { Table = table, Notes = [.. section.Notes ?? [], $"{section.Table.Rows.Count - ConsoleRows} more rows in the report."] };
    }
}
