using System.Text.Json;
using System.Text.Json.Serialization;
using Shrink.Model;

namespace Shrink.Cli.Commands;

/// <summary>Writes results as snake_case JSON to a file (atomically) or to standard output.</summary>
internal static class JsonOutput
{
    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static void Write<T>(string? target, T value)
    {
        if (target is null) return;
        string json = Serialize(value);
        if (target == "-") Console.Out.WriteLine(json);
        else WriteText(target, json + "\n");
    }

    /// <summary>Writes a text output atomically, creating its folder first (outputs, unlike inputs, may name a new folder).</summary>
    public static void WriteText(string path, string text)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(path, text);
    }
}
