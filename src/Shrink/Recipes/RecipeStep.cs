namespace Shrink.Recipes;

/// <summary>One step of a <see cref="Recipe"/>: a registered method name (see <see cref="Methods.CompressionMethods"/>) and its options record.</summary>
/// <param name="Method">The method's registered name, e.g. <c>quantize</c> or <c>prune</c>.</param>
/// <param name="Options">The method's options record (e.g. <see cref="Methods.Quantization.Qdq.StaticQuantizationOptions"/>).</param>
public sealed record RecipeStep(string Method, object Options);
