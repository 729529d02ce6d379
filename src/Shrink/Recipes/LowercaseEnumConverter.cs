using System.Text.Json;
using System.Text.Json.Serialization;

namespace Shrink.Recipes;

/// <summary>
/// Enums in recipes as lower-case names (<c>"uint8"</c>, <c>"latency"</c>, <c>"fair"</c>); reading ignores case and
/// refuses numbers and unknown names, listing the valid ones.
/// </summary>
internal sealed class LowercaseEnumConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T> where T : struct, Enum
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            foreach (var name in Enum.GetNames<T>())
                if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase)) return Enum.Parse<T>(name);
            throw new JsonException($"'{(text ?? reader.TokenType.ToString())}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString().ToLowerInvariant());
    }
}
