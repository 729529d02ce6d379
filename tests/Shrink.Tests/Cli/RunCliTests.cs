using System.Text.Json;
using System.Text.Json.Nodes;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary><c>shrink run RECIPE.json</c> and <c>--recipe-out</c>: the recipe a command writes reproduces its model byte for byte.</summary>
public class RunCliTests
{
    private static string Calibration => Path.Combine(RepoPaths.RepoRoot, "samples", "fashion-mnist", "train512-images-idx3-ubyte.gz");

    [Theory]
    [InlineData("quantize", "--data|CAL|--samples|64|--analysis-samples|16|--scale|0.00392156862745098|--calibration|percentile|--percentile|99.9", "quantize")]
    [InlineData("quantize", "--weights|int4|--method|rtn|--group-size|16", "weight-only")]
    [InlineData("quantize", "--mode|dynamic", "quantize-dynamic")]
    [InlineData("prune", "--sparsity|0.5|--channel-multiple|4", "prune")]
    [InlineData("prune", "--granularity|unstructured|--sparsity|0.6|--scope|layer", "sparsity")]
    public void The_recipe_a_command_writes_reproduces_its_model_byte_for_byte(string command, string flags, string method)
    {
        using var dir = new TempDirectory();
        string first = dir.File("first.onnx"), recipe = dir.File("recipe.json"), json = dir.File("first.json");
        var args = new List<string> { command, ShrinkCli.Sample, "-o", first, "--recipe-out", recipe, "--json", json };
        args.AddRange(flags.Replace("CAL", Calibration, StringComparison.Ordinal).Split('|'));
        var made = ShrinkCli.Run([.. args]);
        Assert.True(made.ExitCode == 0, made.Stderr);

        // The JSON result embeds the same recipe.
        var written = JsonNode.Parse(File.ReadAllText(recipe))!.AsObject();
        var embedded = JsonNode.Parse(File.ReadAllText(json))!["recipe"]!;
        Assert.True(JsonNode.DeepEquals(written, embedded), embedded.ToJsonString());
        Assert.Equal(method, (string?)written["steps"]![0]!["method"]);

        string second = dir.File("second.onnx");
        written["output"] = second;
        written.Remove("json");
        File.WriteAllText(recipe, written.ToJsonString());
        var run = ShrinkCli.Run("run", recipe);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains($"wrote {second}", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void A_lowrank_step_writes_the_model_shrink_lowrank_writes_byte_for_byte()
    {
        using var dir = new TempDirectory();
        string first = dir.File("first.onnx"), second = dir.File("second.onnx"), recipe = dir.File("recipe.json"), report = dir.File("report.md");
        var made = ShrinkCli.Run("lowrank", ShrinkCli.Sample, "-o", first, "--ratio", "0.5");
        Assert.True(made.ExitCode == 0, made.Stderr);

        File.WriteAllText(recipe, new JsonObject
        {
            ["model"] = ShrinkCli.Sample,
            ["output"] = second,
            ["steps"] = new JsonArray(new JsonObject { ["method"] = "lowrank", ["options"] = new JsonObject { ["ratio"] = 0.5 } }),
            ["report"] = report,
        }.ToJsonString());
        var run = ShrinkCli.Run("run", recipe);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.Contains("Low-rank factorization", File.ReadAllText(report), StringComparison.Ordinal);
    }

    [Fact]
    public void A_two_step_recipe_prunes_then_quantizes_and_reports_both_steps_in_html_and_json()
    {
        using var dir = new TempDirectory();
        string output = dir.File("small.int8.onnx"), report = dir.File("report.html"), json = dir.File("result.json"), recipe = dir.File("recipe.json");
        File.WriteAllText(recipe, $$$"""
            {
              // comments and trailing commas are allowed
              "model": {{{JsonSerializer.Serialize(ShrinkCli.Sample)}}},
              "output": {{{JsonSerializer.Serialize(output)}}},
              "data": {"path": {{{JsonSerializer.Serialize(Calibration)}}}},
              "steps": [
                {"method": "prune", "options": {"sparsity": 0.5, "channel_multiple": 4}},
                {"method": "quantize", "options": {"samples": 64, "analysis_samples": 16}},
              ],
              "report": {{{JsonSerializer.Serialize(report)}}},
              "json": {{{JsonSerializer.Serialize(json)}}},
            }
            """);
        var run = ShrinkCli.Run("run", recipe);
        Assert.True(run.ExitCode == 0, run.Stderr);
        long inBytes = new FileInfo(ShrinkCli.Sample).Length, outBytes = new FileInfo(output).Length;
        Assert.True(outBytes < inBytes / 6, $"{outBytes} bytes from {inBytes}: pruning half the MACs then int8 should shrink it more than 6×");

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(outBytes, root.GetProperty("size_bytes").GetInt64());
        var titles = root.GetProperty("sections").EnumerateArray().Select(s => s.GetProperty("title").GetString()!).ToList();
        Assert.Contains("Step 1: Channel pruning", titles);
        Assert.Contains("Step 2: Quantization", titles);
        Assert.Equal(["prune", "quantize"], root.GetProperty("recipe").GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("method").GetString()));

        string html = File.ReadAllText(report);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.True(html.Split("<svg ").Length - 1 >= 2, "a plot per step");
        Assert.Contains("<pre class=\"recipe\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_that_is_an_input_is_refused_with_exit_2_and_nothing_is_written()
    {
        using var dir = new TempDirectory();
        string model = dir.File("m.onnx");
        File.Copy(ShrinkCli.Sample, model);
        byte[] before = File.ReadAllBytes(model);
        string recipe = dir.File("r.json");
        File.WriteAllText(recipe, $$"""{"model": {{JsonSerializer.Serialize(model)}}, "output": {{JsonSerializer.Serialize(model)}}, "steps": [{"method": "prune"}]}""");
        var run = ShrinkCli.Run("run", recipe);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is the same file as the recipe's model", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(model));

        File.WriteAllText(recipe, $$"""{"model": {{JsonSerializer.Serialize(model)}}, "output": {{JsonSerializer.Serialize(dir.File("o.onnx"))}}, "report": {{JsonSerializer.Serialize(recipe)}}, "steps": [{"method": "prune"}]}""");
        run = ShrinkCli.Run("run", recipe);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("is the same file as RECIPE", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(["m.onnx", "r.json"], dir.ListFiles());
    }

    [Fact]
    public void Bad_recipes_are_refused_with_exit_2_before_any_work_naming_the_step_and_key()
    {
        using var dir = new TempDirectory();
        string recipe = dir.File("r.json"), output = dir.File("o.onnx");
        string head = $$"""{"model": {{JsonSerializer.Serialize(ShrinkCli.Sample)}}, "output": {{JsonSerializer.Serialize(output)}}, """;
        var cases = new Dictionary<string, string>
        {
            [head + """ "steps": [{"method": "prune", "options": {"sparsty": 0.5}}]}"""] = "steps[0] (prune) options: unknown key 'sparsty'; valid keys:",
            [head + """ "steps": [{"method": "prune"}, {"method": "distill"}]}"""] = "steps[1]: unknown method 'distill'; use one of quantize, quantize-dynamic, weight-only, prune, sparsity",
            [head + """ "steps": [{"method": "sparsity", "options": {"exclude_nodes": ["/c9/Conv"]}}]}"""] = "steps[0] (sparsity) names '/c9/Conv', which is not a node of the model",
            [head + """ "data": {"path": "random:0"}, "steps": [{"method": "quantize"}]}"""] = "the sample count after random: must be a positive integer",
        };
        foreach (var (text, message) in cases)
        {
            File.WriteAllText(recipe, text);
            var run = ShrinkCli.Run("run", recipe);
            Assert.True(run.ExitCode == 2, $"{text}\n{run.Stderr}");
            Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("internal error", run.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(output));
        }
        Assert.Equal(2, ShrinkCli.Run("run", dir.File("missing.json")).ExitCode);
    }

    [Fact]
    public void A_command_report_named_html_is_the_html_page_with_its_plots_and_recipe()
    {
        using var dir = new TempDirectory();
        string report = dir.File("prune.html");
        var run = ShrinkCli.Run("prune", ShrinkCli.Sample, "-o", dir.File("p.onnx"), "--sparsity", "0.5", "--report", report);
        Assert.True(run.ExitCode == 0, run.Stderr);
        string html = File.ReadAllText(report);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<figcaption>Channels kept per group</figcaption>", html, StringComparison.Ordinal);
        Assert.Contains("&quot;method&quot;: &quot;prune&quot;", html, StringComparison.Ordinal);
    }
}
