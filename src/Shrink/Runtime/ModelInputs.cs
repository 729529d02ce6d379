using Shrink.Data;
using Shrink.Onnx;

namespace Shrink.Runtime;

/// <summary>The declared inputs of a model as <see cref="ModelInputSpec"/>s (symbolic dims kept).</summary>
public static class ModelInputs
{
    /// <summary>The model's real inputs (initializers listed as inputs excluded).</summary>
    public static IReadOnlyList<ModelInputSpec> Of(OnnxModel model) =>
        model.Graph.Inputs.Select(v => new ModelInputSpec(v.Name, v.Type,
            v.Shape?.Select(d => d.Value).ToArray() ?? [], v.Shape?.Select(d => d.Symbol).ToArray() ?? [])).ToArray();
}
