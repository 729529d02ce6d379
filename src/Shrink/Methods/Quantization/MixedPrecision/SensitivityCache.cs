using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Shrink.Model;

namespace Shrink.Methods.Quantization.MixedPrecision;

/// <summary>
/// Sensitivity results kept beside the model (<c>MODEL.sensitivity.json</c>), keyed by a hash of the model file's bytes,
/// the settings and the calibration data, so allocation and tuning reuse a result instead of measuring again.
/// </summary>
public static class SensitivityCache
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The cache file of <paramref name="modelPath"/>.</summary>
    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, null) + ".sensitivity.json";

    /// <summary>The key of a model file, settings and data description.</summary>
    public static string Key(string modelPath, SensitivityOptions options, string data)
    {
        using var sha = SHA256.Create();
        using (var stream = File.OpenRead(modelPath))
        {
            var hash = sha.ComputeHash(stream);
            var text = Encoding.UTF8.GetBytes(Convert.ToHexString(hash) + "|" + options.Fingerprint() + "|" + data);
            return Convert.ToHexString(SHA256.HashData(text))[..32];
        }
    }

    /// <summary>
    /// The cached result for this model, settings and data, or <paramref name="compute"/>'s, which is then stored (a cache
    /// that cannot be read or written is ignored: the result is still returned). <paramref name="cachePath"/> overrides
    /// the file beside the model.
    /// </summary>
    public static SensitivityResult GetOrCompute(string modelPath, SensitivityOptions options, string data, Func<SensitivityResult> compute, string? cachePath = null)
    {
        string key = Key(modelPath, options, data), path = cachePath ?? PathFor(modelPath);
        var entries = Read(path);
        if (entries.TryGetValue(key, out var cached)) return cached with { FromCache = true };
        var result = compute();
        entries[key] = result;
        try
        {
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(entries, Json));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only model folder: work without the cache.
        }
        return result;
    }

    private static Dictionary<string, SensitivityResult> Read(string path)
    {
        try
        {
            if (File.Exists(path)) return JsonSerializer.Deserialize<Dictionary<string, SensitivityResult>>(File.ReadAllText(path), Json) ?? [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
        }
        return [];
    }
}
