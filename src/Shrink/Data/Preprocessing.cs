using System.Text.Json;

namespace Shrink.Data;

/// <summary>
/// How raw file data becomes model input: each value x of channel c becomes <c>(x * Scale - Mean[c]) / Std[c]</c>,
/// laid out per <see cref="Layout"/>. Resize and colour apply to image folders only.
/// </summary>
public sealed record Preprocessing
{
    /// <summary>The model input the data feeds; null when the model has a single input.</summary>
    public string? InputName { get; init; }

    /// <summary>Axis order of image tensors.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.NCHW;

    /// <summary>Multiplier applied first (e.g. 1/255 for uint8 pixels).</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Per-channel mean (1 value or one per channel); empty means 0.</summary>
    public float[] Mean { get; init; } = [];

    /// <summary>Per-channel standard deviation (1 value or one per channel); empty means 1.</summary>
    public float[] Std { get; init; } = [];

    /// <summary>Target image height; null to use the model's fixed height, else the images' own.</summary>
    public int? ResizeHeight { get; init; }

    /// <summary>Target image width; null to use the model's fixed width, else the images' own.</summary>
    public int? ResizeWidth { get; init; }

    /// <summary>Colour conversion of decoded images.</summary>
    public ColorMode Color { get; init; } = ColorMode.Keep;

    /// <summary>The sidecar path for a model: <c>dir/cnn.onnx</c> → <c>dir/cnn.preprocess.json</c>.</summary>
    public static string SidecarPath(string modelPath) => Path.ChangeExtension(modelPath, ".preprocess.json");

    /// <summary>
    /// Reads <c>MODEL.preprocess.json</c> beside the model: keys <c>input</c>, <c>layout</c> ("NCHW"/"NHWC"), <c>scale</c>,
    /// <c>mean</c> and <c>std</c> (a number or an array), <c>resize</c> ([h, w]) and <c>color</c> ("keep"/"grayscale"/"rgb").
    /// </summary>
    /// <returns>The settings, or null when there is no sidecar.</returns>
    /// <exception cref="ShrinkException">The file is malformed; the message names the file and the key.</exception>
    public static Preprocessing? LoadSidecar(string modelPath)
    {
        string path = SidecarPath(modelPath);
        if (!File.Exists(path))
            return null;
        FileProbe.RequireRegularFile(path, "preprocessing sidecar");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ShrinkException($"{path}: expected a JSON object with keys input, layout, scale, mean, std, resize, color.");
            var p = new Preprocessing();
            foreach (var prop in doc.RootElement.EnumerateObject())
                p = Apply(p, prop, path);
            p.CheckStd(path);
            return p;
        }
        catch (JsonException e)
        {
            throw new ShrinkException($"{path}: not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ShrinkException($"{path}: cannot read: {e.Message}", e);
        }
    }

    private static Preprocessing Apply(Preprocessing p, JsonProperty prop, string path)
    {
        var v = prop.Value;
        ShrinkException Bad(string expected) => new($"{path}: key '{prop.Name}' must be {expected}, not {v.GetRawText()}.");
        float Number(JsonElement e) =>
            e.ValueKind == JsonValueKind.Number && e.TryGetSingle(out float f) && float.IsFinite(f) ? f : throw Bad("a number or an array of numbers");
        float[] Numbers() => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0
            ? [.. v.EnumerateArray().Select(Number)]
            : [Number(v)];
        string Text(params string[] allowed) =>
            v.ValueKind == JsonValueKind.String && (allowed.Length == 0 || allowed.Contains(v.GetString()!, StringComparer.OrdinalIgnoreCase))
                ? v.GetString()! : throw Bad(allowed.Length == 0 ? "a string" : "one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")));

        switch (prop.Name)
        {
            case "input":
                return p with { InputName = Text() };
            case "layout":
                return p with { Layout = Enum.Parse<TensorLayout>(Text("NCHW", "NHWC"), ignoreCase: true) };
            case "scale":
                return p with { Scale = Number(v) };
            case "mean":
                return p with { Mean = Numbers() };
            case "std":
                return p with { Std = Numbers() };
            case "color":
                return p with { Color = Enum.Parse<ColorMode>(Text("keep", "grayscale", "rgb"), ignoreCase: true) };
            case "resize":
                if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2
                    || v.EnumerateArray().Any(e => !e.TryGetInt32(out int n) || n <= 0))
                    throw Bad("[height, width] with positive integers");
                return p with { ResizeHeight = v[0].GetInt32(), ResizeWidth = v[1].GetInt32() };
            default:
                throw new ShrinkException($"{path}: unknown key '{prop.Name}'; the keys are input, layout, scale, mean, std, resize, color.");
        }
    }

    private void CheckStd(string source)
    {
        int zero = Array.IndexOf(Std, 0f);
        if (zero >= 0)
            throw new ShrinkException($"{source}: 'std' has 0 at index {zero}; a standard deviation divides and must not be 0.");
    }

    /// <summary>Checks mean/std against the data's channel count and the resize target.</summary>
    /// <exception cref="ShrinkException">A length or value is invalid; the message names <paramref name="dataPath"/>.</exception>
    internal void Validate(int channels, string dataPath)
    {
        CheckStd(dataPath);
        foreach (var (key, values) in new[] { ("mean", Mean), ("std", Std) })
            if (values.Length > 1 && values.Length != channels)
                throw new ShrinkException($"{dataPath}: preprocessing '{key}' has {values.Length} values but the data has {channels} channel(s); give 1 value or {channels}.");
        if (!float.IsFinite(Scale) || Mean.Concat(Std).Any(f => !float.IsFinite(f)))
            throw new ShrinkException($"{dataPath}: preprocessing scale, mean and std must be finite numbers.");
        if (ResizeHeight <= 0 || ResizeWidth <= 0)
            throw new ShrinkException($"{dataPath}: the resize target {ResizeHeight}x{ResizeWidth} must be positive.");
    }
}
