using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shrink.Recipes;

/// <summary>Sets of names (<c>exclude_nodes</c>, <c>exclude_ops</c>) in recipes as JSON arrays of strings, compared ordinally, duplicates refused.</summary>
internal sealed class StringSetConverter : JsonConverter<IReadOnlySet<string>>
{
    public override IReadOnlySet<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected an array of names, e.g. [\"conv1\", \"fc\"].");
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException("expected an array of names (strings).");
            string name = reader.GetString()!;
            if (!set.Add(name)) throw new JsonException($"'{name}' is listed twice.");
        }
        return set;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlySet<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var name in value) writer.WriteStringValue(name);
        writer.WriteEndArray();
    }
}
