using System.Text.Json;
using System.Text.Json.Serialization;
using Shrink.Methods.Pruning.Sparsity;

namespace Shrink.Recipes;

/// <summary><see cref="SparsityGranularity"/> in recipes as <c>"unstructured"</c> or <c>"N:M"</c> (e.g. <c>"2:4"</c>).</summary>
internal sealed class SparsityGranularityConverter : JsonConverter<SparsityGranularity>
{
    public override SparsityGranularity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException("the granularity is a string: \"unstructured\" or N:M such as \"2:4\".");
        try
        {
            return SparsityGranularity.Parse(reader.GetString()!);
        }
        catch (ShrinkException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, SparsityGranularity value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
