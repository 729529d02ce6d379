using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// The manifest of a time-step-aware quantized noise predictor: one ONNX model per group of sampling steps (each with
/// the activation ranges calibrated on its steps only), the timesteps each serves, and the sampler they were calibrated
/// for. Written beside the models as <c>OUT.steps.json</c> (models <c>OUT.g0.onnx</c>, <c>OUT.g1.onnx</c>, …, paths
/// relative to the manifest); <c>eval --pipeline</c> given the manifest switches models by t.
/// <para>
/// One model per group rather than one model with a scale table gathered by t: a Q/DQ scale taken from a Gather is
/// not a constant, and ONNX Runtime fuses only Q/DQ pairs with constant scales into integer kernels, so a gathered
/// scale would leave every layer in float (DQ → float op → Q). Separate models keep each group's graph plain QDQ.
/// </para>
/// </summary>
public sealed record DiffusionStepModels
{
    /// <summary>The manifest's format name.</summary>
    public const string FormatName = "shrink-diffusion-step-models";

    /// <summary>The suffix the manifest gets beside the output model path (its <c>.onnx</c> replaced).</summary>
    public const string ManifestSuffix = ".steps.json";

    /// <summary>Always <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The sampler the groups were calibrated for (ddim or ddpm).</summary>
    public required string Pipeline { get; init; }

    /// <summary>The sampler's step count.</summary>
    public required int Steps { get; init; }

    /// <summary>The groups, noisiest first.</summary>
    public required IReadOnlyList<DiffusionStepGroup> Groups { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>True when <paramref name="path"/> names a manifest (ends in .json) rather than a model.</summary>
    public static bool IsManifest(string path) => path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The manifest path for output model <paramref name="outputPath"/> (OUT.onnx → OUT.steps.json).</summary>
    public static string ManifestPath(string outputPath) => Stem(outputPath) + ManifestSuffix;

    /// <summary>Group <paramref name="group"/>'s model path for output <paramref name="outputPath"/> (OUT.onnx → OUT.g0.onnx).</summary>
    public static string GroupModelPath(string outputPath, int group) => string.Create(CultureInfo.InvariantCulture, $"{Stem(outputPath)}.g{group}.onnx");

    private static string Stem(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? path[..^5] : path;

    /// <summary>The manifest as JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>Reads and checks the manifest at <paramref name="path"/>; the group models' paths come back resolved against its folder.</summary>
    /// <exception cref="ShrinkException">The file is missing, not such a manifest, or a group or model is missing or out of order.</exception>
    public static DiffusionStepModels Read(string path)
    {
        if (!File.Exists(path)) throw new ShrinkException($"{path}: no such file.");
        DiffusionStepModels? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DiffusionStepModels>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new ShrinkException($"{path}: not a step-group manifest ({e.Message}).");
        }
        if (manifest is null || manifest.Format != FormatName)
            throw new ShrinkException($"{path}: not a step-group manifest (format '{manifest?.Format}', expected '{FormatName}').");
        if (manifest.Groups is not { Count: > 0 })
            throw new ShrinkException($"{path}: the manifest lists no groups.");
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var groups = new List<DiffusionStepGroup>();
        for (int g = 0; g < manifest.Groups.Count; g++)
        {
            var group = manifest.Groups[g];
            if (string.IsNullOrEmpty(group.Model)) throw new ShrinkException($"{path}: group {g} names no model.");
            if (g > 0 && group.MinT >= manifest.Groups[g - 1].MinT)
                throw new ShrinkException($"{path}: group {g}'s min_t {group.MinT} is not below group {g - 1}'s {manifest.Groups[g - 1].MinT}; groups go noisiest first.");
            string model = Path.IsPathRooted(group.Model) ? group.Model : Path.Combine(folder, group.Model);
            if (!File.Exists(model)) throw new ShrinkException($"{path}: group {g}'s model {model} does not exist.");
            groups.Add(group with { Model = model });
        }
        return manifest with { Groups = groups };
    }
}
