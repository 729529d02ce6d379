using Shrink.Methods;
using Shrink.Methods.Pruning.LowRank;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Pruning.Structured;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Recipes;

namespace Shrink.Tests.Recipes;

public class RecipeJsonTests
{
    private static string Recipe(string steps, string data = """, "data": {"path": "random:16"}""") =>
        $$"""{"model": "in.onnx", "output": "out.onnx", "steps": [{{steps}}]{{data}}}""";

    private static RecipeException Refused(string json) => Assert.Throws<RecipeException>(() => RecipeJson.Parse(json, "r.json"));

    [Fact]
    public void Options_bind_to_the_same_records_the_commands_build()
    {
        var recipe = RecipeJson.Parse(Recipe("""
            {"method": "quantize", "options": {"calibration": "percentile", "calibration_settings": {"percentile": 99.9}, "activation_type": "INT8", "exclude_nodes": ["a", "b"], "samples": 64}},
            {"method": "prune", "options": {"sparsity": 0.3, "target": "latency", "schedule": "uniform", "kept_channels": {"c1": 4}}},
            {"method": "sparsity", "options": {"granularity": "2:4", "scope": "layer"}},
            {"method": "weight-only", "options": {"bits": 3, "method": "rtn", "export": {"int8_activations": true}}}
            """), "r.json");
        var q = Assert.IsType<StaticQuantizationOptions>(recipe.Steps[0].Options);
        Assert.Equal(("percentile", 99.9, ElementType.Int8, 64L), (q.Calibration, q.CalibrationSettings.Percentile, q.ActivationType, q.Samples));
        Assert.True(q.ExcludeNodes.SetEquals(["a", "b"]));
        Assert.Equal(2048, q.CalibrationSettings.Bins); // unset keys keep the record's defaults
        var p = Assert.IsType<ChannelPruningOptions>(recipe.Steps[1].Options);
        Assert.Equal((0.3, PruningTarget.Latency, PruningSchedule.Uniform, 4), (p.Sparsity, p.Target, p.Schedule, p.KeptChannels!["c1"]));
        var s = Assert.IsType<SparsityOptions>(recipe.Steps[2].Options);
        Assert.Equal(("2:4", SparsityScope.Layer), (s.Granularity.ToString(), s.Scope));
        var w = Assert.IsType<WeightOnlyOptions>(recipe.Steps[3].Options);
        Assert.Equal((3, "rtn", true), (w.Bits, w.Method, w.Export.Int8Activations));
    }

    [Fact]
    public void Writing_then_reading_gives_back_equal_options()
    {
        var options = new StaticQuantizationOptions { Calibration = "entropy", SymmetricActivations = true, ExcludeOps = new HashSet<string> { "Gemm" }, MemoryLimitBytes = 64L << 20 };
        var recipe = new Recipe { Model = "m.onnx", Output = "o.onnx", Steps = [new RecipeStep("quantize", options)], Data = new RecipeData { Path = "random:8", Mean = [0.5f], InputShape = new Dictionary<string, long[]> { ["x"] = [1, 3] } } };
        string json = RecipeJson.Write(recipe);
        var back = RecipeJson.Parse(json, "r.json");
        var q = Assert.IsType<StaticQuantizationOptions>(back.Steps[0].Options);
        Assert.Equal(options with { ExcludeOps = q.ExcludeOps, ExcludeNodes = q.ExcludeNodes, CalibrationSettings = q.CalibrationSettings }, q);
        Assert.True(q.ExcludeOps.SetEquals(["Gemm"]));
        Assert.Equal([0.5f], back.Data!.Mean!);
        Assert.Equal([1L, 3L], back.Data.InputShape!["x"]);
        Assert.Equal(json, RecipeJson.Write(back));
    }

    [Fact]
    public void An_unknown_method_is_refused_with_the_step_index_and_the_valid_names()
    {
        var e = Refused(Recipe("""{"method": "quantise"}"""));
        Assert.Contains("steps[0]", e.Message, StringComparison.Ordinal);
        Assert.Contains("unknown method 'quantise'", e.Message, StringComparison.Ordinal);
        Assert.All(CompressionMethods.Registry.Names, name => Assert.Contains(name, e.Message, StringComparison.Ordinal));
        Assert.Equal(["quantize", "quantize-dynamic", "weight-only", "prune", "sparsity", "lowrank"], CompressionMethods.Registry.Names);
    }

    [Fact]
    public void A_lowrank_step_binds_LowRankOptions_with_its_checks_and_data_needs()
    {
        var recipe = RecipeJson.Parse(Recipe("""{"method": "lowrank", "options": {"ratio": 0.4, "exclude_nodes": ["fc"]}}""", data: ""), "r.json");
        var o = Assert.IsType<LowRankOptions>(recipe.Steps[0].Options);
        Assert.Equal((0.4, false), (o.Ratio, o.Whiten));
        Assert.True(o.ExcludeNodes.SetEquals(["fc"]));

        Assert.Contains("steps[0] (lowrank): give exactly one of --ratio R or --energy E", Refused(Recipe("""{"method": "lowrank"}""")).Message, StringComparison.Ordinal);
        Assert.Contains("steps[0] (lowrank) needs calibration data", Refused(Recipe("""{"method": "lowrank", "options": {"energy": 0.9, "whiten": true}}""", data: "")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_option_key_is_refused_naming_the_step_the_key_and_the_valid_keys()
    {
        var e = Refused(Recipe("""{"method": "prune", "options": {"sparsity": 0.5}}, {"method": "quantize", "options": {"calibraton": "mse"}}"""));
        Assert.Contains("steps[1] (quantize) options: unknown key 'calibraton'", e.Message, StringComparison.Ordinal);
        Assert.Contains("calibration, calibration_settings", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_in_a_nested_record_is_refused_with_its_path()
    {
        var e = Refused(Recipe("""{"method": "quantize", "options": {"calibration_settings": {"percentil": 99}}}"""));
        Assert.Contains("steps[0] (quantize) options.calibration_settings: unknown key 'percentil'; valid keys: bins, percentile", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_in_the_recipe_a_step_or_the_data_are_refused()
    {
        Assert.Contains("unknown key 'outptu'", Refused("""{"model": "a", "outptu": "b", "steps": []}""").Message, StringComparison.Ordinal);
        Assert.Contains("steps[0]: unknown key 'option'", Refused(Recipe("""{"method": "prune", "option": {}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("data: unknown key 'sampels'", Refused(Recipe("""{"method": "prune"}""", """, "data": {"path": "random:4", "sampels": 3}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_values_are_refused_before_anything_runs_naming_the_step()
    {
        Assert.Contains("steps[0] (quantize): Unknown calibration method 'kl'; use one of minmax", Refused(Recipe("""{"method": "quantize", "options": {"calibration": "kl"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("'latncy' is not one of macs, params, latency", Refused(Recipe("""{"method": "prune", "options": {"target": "latncy"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("steps[0] (prune): --sparsity must be in [0, 1)", Refused(Recipe("""{"method": "prune", "options": {"sparsity": 1.5}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("steps[0] (weight-only): Weight bits must be 2, 3, 4 or 8, not 5", Refused(Recipe("""{"method": "weight-only", "options": {"bits": 5}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("steps[0] (sparsity) options key 'granularity'", Refused(Recipe("""{"method": "sparsity", "options": {"granularity": "3:3"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("key 'samples'", Refused(Recipe("""{"method": "quantize", "options": {"samples": "many"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("'exclude_nodes'", Refused(Recipe("""{"method": "quantize", "options": {"exclude_nodes": ["a", "a"]}}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_step_that_needs_data_without_a_data_section_is_refused()
    {
        var e = Refused(Recipe("""{"method": "prune"}, {"method": "quantize"}""", data: ""));
        Assert.Contains("steps[1] (quantize) needs calibration data", e.Message, StringComparison.Ordinal);
        // Data-free steps run without one.
        Assert.Equal(2, RecipeJson.Parse(Recipe("""{"method": "prune"}, {"method": "weight-only", "options": {"method": "rtn"}}""", data: ""), "r.json").Steps.Count);
    }

    [Fact]
    public void Malformed_json_and_missing_fields_are_refused_with_the_file_name()
    {
        Assert.StartsWith("r.json: not valid JSON", Refused("{\"model\": ").Message, StringComparison.Ordinal);
        Assert.Contains("'steps' must be a non-empty array", Refused("""{"model": "a", "output": "b", "steps": []}""").Message, StringComparison.Ordinal);
        Assert.Contains("'output' is required", Refused("""{"model": "a", "steps": [{"method": "prune"}]}""").Message, StringComparison.Ordinal);
    }
}
