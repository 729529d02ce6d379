using System.CommandLine;
using Shrink.Recipes;

namespace Shrink.Cli.Commands;

/// <summary><c>--recipe-out FILE</c>: the recipe that reproduces a command's result (<c>shrink run FILE</c>), from the options record the flags built.</summary>
internal static class RecipeOut
{
    /// <summary>The option.</summary>
    public static Option<string?> Create() => new("--recipe-out") { Description = "Also write the recipe (JSON) that reproduces this result with `shrink run FILE`" };

    /// <summary>The recipe of a one-step command as JSON text.</summary>
    public static string Text(ParseResult parse, DataArguments data, string input, string output, string method, object options, Option<string?> report, Option<string?> json) =>
        RecipeJson.Write(new Recipe
        {
            Model = input,
            Output = output,
            Steps = [new RecipeStep(method, options)],
            Data = RecipeDataArguments.From(parse, data),
            Report = parse.GetValue(report),
            Json = parse.GetValue(json),
        });

    /// <summary>Stages the recipe at <c>--recipe-out</c> when it was given (declared with the other outputs at the start).</summary>
    public static void Stage(ParseResult parse, Option<string?> option, OutputTransaction outputs, string recipe)
    {
        if (parse.GetValue(option) is string path) outputs.StageText(path, recipe + "\n", "--recipe-out");
    }
}
