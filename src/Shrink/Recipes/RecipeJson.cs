using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Shrink.Methods;

namespace Shrink.Recipes;

/// <summary>
/// Reads and writes recipes as JSON. Keys are snake_case property names of the options records (<c>calibration</c>,
/// <c>exclude_nodes</c>, <c>calibration_settings.percentile</c>), enums lower-case names. <see cref="Parse"/> checks the
/// whole recipe before anything runs: unknown keys and methods are refused naming the step and key with the valid names,
/// each step's options are validated, and steps that need data need a <c>data</c> section.
/// </summary>
public static class RecipeJson
{
    private static readonly string[] RecipeKeys = ["model", "output", "steps", "data", "report", "json"];
    private static readonly string[] StepKeys = ["method", "options"];

    /// <summary>The serializer settings of recipes (also for writing options records into results).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Reads and checks a recipe; <paramref name="source"/> names it in messages. Throws <see cref="RecipeException"/>.</summary>
    public static Recipe Parse(string json, string source)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new RecipeException($"{source}: not valid JSON ({Clean(e.Message)}).", e);
        }
        if (root is not JsonObject obj) throw new RecipeException($"{source}: a recipe is a JSON object with model, output and steps.");
        CheckKeys(obj, RecipeKeys, $"{source}", "the recipe");
        string model = RequiredString(obj, "model", source), output = RequiredString(obj, "output", source);
        if (obj["steps"] is not JsonArray stepsNode || stepsNode.Count == 0)
            throw new RecipeException($"{source}: 'steps' must be a non-empty array of {{\"method\": ..., \"options\": {{...}}}} (methods: {string.Join(", ", CompressionMethods.Registry.Names)}).");
        var steps = new List<RecipeStep>();
        for (int i = 0; i < stepsNode.Count; i++) steps.Add(ParseStep(stepsNode[i], $"{source}: steps[{i}]"));
        RecipeData? data = null;
        if (obj["data"] is JsonNode dataNode)
        {
            if (dataNode is not JsonObject dataObj) throw new RecipeException($"{source}: 'data' must be an object such as {{\"path\": \"random:64\"}}.");
            CheckObjectKeys(dataObj, typeof(RecipeData), $"{source}: data");
            data = Bind<RecipeData>(dataObj, $"{source}: data");
        }
        for (int i = 0; i < steps.Count; i++)
            if (data is null && CompressionMethods.Create(steps[i].Method).NeedsData(steps[i].Options))
                throw new RecipeException($"{source}: steps[{i}] ({steps[i].Method}) needs calibration data with these options; add a data section, e.g. \"data\": {{\"path\": \"random:64\"}}.");
        return new Recipe
        {
            Model = model,
            Output = output,
            Steps = steps,
            Data = data,
            Report = OptionalString(obj, "report", source),
            Json = OptionalString(obj, "json", source),
        };
    }

    /// <summary>The recipe as indented JSON (every option written, so the recipe does not depend on later defaults).</summary>
    public static string Write(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var obj = new JsonObject
        {
            ["model"] = recipe.Model,
            ["output"] = recipe.Output,
        };
        if (recipe.Data is not null) obj["data"] = JsonSerializer.SerializeToNode(recipe.Data, Options);
        var steps = new JsonArray();
        foreach (var step in recipe.Steps)
            steps.Add(new JsonObject { ["method"] = step.Method, ["options"] = JsonSerializer.SerializeToNode(step.Options, step.Options.GetType(), Options) });
        obj["steps"] = steps;
        if (recipe.Report is not null) obj["report"] = recipe.Report;
        if (recipe.Json is not null) obj["json"] = recipe.Json;
        return obj.ToJsonString(Options);
    }

    private static RecipeStep ParseStep(JsonNode? node, string where)
    {
        if (node is not JsonObject step) throw new RecipeException($"{where}: a step is an object {{\"method\": ..., \"options\": {{...}}}}.");
        CheckKeys(step, StepKeys, where, "a step");
        if (step["method"] is not JsonValue methodValue || !methodValue.TryGetValue(out string? method))
            throw new RecipeException($"{where}: 'method' is required: one of {string.Join(", ", CompressionMethods.Registry.Names)}.");
        if (!CompressionMethods.Registry.Contains(method))
            throw new RecipeException($"{where}: unknown method '{method}'; use one of {string.Join(", ", CompressionMethods.Registry.Names)}.");
        var impl = CompressionMethods.Create(method);
        where = $"{where} ({method})";
        var optionsNode = step["options"] ?? new JsonObject();
        if (optionsNode is not JsonObject optionsObj) throw new RecipeException($"{where}: 'options' must be an object.");
        CheckObjectKeys(optionsObj, impl.OptionsType, $"{where} options");
        object options = Bind(optionsObj, impl.OptionsType, $"{where} options");
        try
        {
            impl.Validate(options);
        }
        catch (ShrinkException e)
        {
            throw new RecipeException($"{where}: {e.Message}", e);
        }
        return new RecipeStep(method, options);
    }

    private static T Bind<T>(JsonObject obj, string where) => (T)Bind(obj, typeof(T), where);

    private static object Bind(JsonObject obj, Type type, string where)
    {
        try
        {
            return obj.Deserialize(type, Options) ?? throw new RecipeException($"{where}: null is not a value.");
        }
        catch (NotSupportedException e)
        {
            throw new RecipeException($"{where}: {Clean(e.Message)}", e);
        }
        catch (JsonException e)
        {
            string path = e.Path is { Length: > 1 } p ? p[1..] : "";
            throw new RecipeException($"{where}{(path.Length > 0 ? $" key '{path.TrimStart('.')}'" : "")}: {Clean(e.Message)}", e);
        }
    }

    // Refuses keys the record does not have, recursing into nested records (calibration_settings, export), listing the valid keys.
    private static void CheckObjectKeys(JsonObject obj, Type type, string where)
    {
        var info = Options.GetTypeInfo(type);
        if (info.Kind != JsonTypeInfoKind.Object) return;
        var properties = info.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (!properties.TryGetValue(key, out var property))
                throw new RecipeException($"{where}: unknown key '{key}'; valid keys: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}.");
            if (value is JsonObject nested) CheckObjectKeys(nested, property.PropertyType, $"{where}.{key}");
        }
    }

    private static void CheckKeys(JsonObject obj, string[] valid, string where, string what)
    {
        foreach (var (key, _) in obj)
            if (!valid.Contains(key, StringComparer.Ordinal))
                throw new RecipeException($"{where}: unknown key '{key}' in {what}; valid keys: {string.Join(", ", valid)}.");
    }

    private static string RequiredString(JsonObject obj, string key, string source) =>
        OptionalString(obj, key, source) ?? throw new RecipeException($"{source}: '{key}' is required (a path).");

    private static string? OptionalString(JsonObject obj, string key, string source)
    {
        var node = obj[key];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out string? s) && s.Length > 0) return s;
        throw new RecipeException($"{source}: '{key}' must be a non-empty string (a path).");
    }

    // System.Text.Json appends " Path: $.x | LineNumber: ..." to its messages; the caller names the key itself.
    private static string Clean(string message)
    {
        int at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        string text = (at >= 0 ? message[..at] : message).TrimEnd('.', ' ');
        return text.Replace("The JSON value could not be converted to ", "expected a value of type ", StringComparison.Ordinal);
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OnlySettable } },
        };
        options.Converters.Add(new LowercaseEnumConverter());
        options.Converters.Add(new SparsityGranularityConverter());
        options.Converters.Add(new StringSetConverter());
        options.MakeReadOnly();
        return options;
    }

    // Only what a recipe can set is written and read: computed properties are not options.
    private static void OnlySettable(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        for (int i = info.Properties.Count - 1; i >= 0; i--)
            if (info.Properties[i].Set is null) info.Properties.RemoveAt(i);
    }
}
