using System.CommandLine;
using System.Globalization;
using Shrink.Recipes;

namespace Shrink.Cli.Commands;

/// <summary>
/// A recipe's <c>data</c> section and the CLI's data flags, converted both ways: a recipe's data is turned into the
/// flags and parsed by <see cref="DataArguments"/>, so it is checked and opened by exactly the code the commands use.
/// </summary>
internal static class RecipeDataArguments
{
    /// <summary>Parses <paramref name="data"/> as the data flags; refusals name the recipe's data section.</summary>
    public static (DataArguments Arguments, ParseResult Parse) Parse(RecipeData data, string recipePath)
    {
        var arguments = new DataArguments(dataRequired: true);
        var command = new Command("data");
        arguments.AddTo(command);
        var parse = command.Parse(ToArguments(data, recipePath));
        if (parse.Errors.Count > 0) throw new UsageException($"{recipePath}: data: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        return (arguments, parse);
    }

    /// <summary>The data flags <paramref name="data"/> stands for.</summary>
    public static IReadOnlyList<string> ToArguments(RecipeData data, string recipePath)
    {
        var c = CultureInfo.InvariantCulture;
        var args = new List<string> { "--data", data.Path };
        void Add(string flag, string? value)
        {
            if (value is null) return;
            args.Add(flag);
            args.Add(value);
        }
        Add("--labels", data.Labels);
        Add("--input", data.Input);
        Add("--layout", data.Layout);
        Add("--scale", data.Scale?.ToString("R", c));
        Add("--mean", data.Mean is null ? null : string.Join(",", data.Mean.Select(v => v.ToString("R", c))));
        Add("--std", data.Std is null ? null : string.Join(",", data.Std.Select(v => v.ToString("R", c))));
        Add("--resize", data.Resize);
        Add("--color", data.Color);
        foreach (var (name, dims) in data.InputShape ?? new Dictionary<string, long[]>())
            Add("--input-shape", $"{name}={string.Join(",", dims.Select(d => d.ToString(c)))}");
        foreach (var (name, range) in data.InputRange ?? new Dictionary<string, double[]>())
            Add("--input-range", range.Length == 2 ? $"{name}={range[0].ToString("R", c)},{range[1].ToString("R", c)}"
                : throw new UsageException($"{recipePath}: data: input_range '{name}' needs two numbers [lo, hi], not {range.Length}."));
        foreach (var (name, axis) in data.BatchAxis ?? new Dictionary<string, int>())
            Add("--batch-axis", $"{name}={axis.ToString(c)}");
        if (data.Seed != 0) Add("--seed", data.Seed.ToString(c));
        return args;
    }

    /// <summary>The recipe data section the given data flags stand for; null when no --data was given.</summary>
    public static RecipeData? From(ParseResult parse, DataArguments data)
    {
        if (parse.GetValue(data.Data) is not string path) return null;
        var ranges = DataArguments.ParseRanges(parse.GetValue(data.InputRange) ?? []);
        var shapes = CommonOptions.ParseInputShapes(parse.GetValue(data.InputShape) ?? []);
        var axes = DataArguments.ParseBatchAxes(parse.GetValue(data.BatchAxis) ?? []);
        return new RecipeData
        {
            Path = path,
            Labels = parse.GetValue(data.Labels),
            Input = parse.GetValue(data.Input),
            Layout = parse.GetValue(data.Layout),
            Scale = parse.GetValue(data.Scale),
            Mean = parse.GetValue(data.Mean) is string mean ? Floats(mean, "--mean") : null,
            Std = parse.GetValue(data.Std) is string std ? Floats(std, "--std") : null,
            Resize = parse.GetValue(data.Resize),
            Color = parse.GetValue(data.Color),
            InputShape = shapes.Count > 0 ? shapes : null,
            InputRange = ranges.Count > 0 ? ranges.ToDictionary(r => r.Key, r => new[] { r.Value.Low, r.Value.High }) : null,
            BatchAxis = axes.Count > 0 ? axes : null,
            Seed = parse.GetValue(data.Seed),
        };
    }

    private static float[] Floats(string text, string option) =>
        [.. CommonOptions.List(text, option).Select(s => float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw new UsageException($"{option}: '{s}' is not a number."))];
}
