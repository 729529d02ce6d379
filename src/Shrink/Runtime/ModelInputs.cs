using Shrink.Data;
using Shrink.Model;

namespace Shrink.Runtime;

/// <summary>The declared inputs of a model as <see cref="ModelInputSpec"/>s (symbolic dims kept).</summary>
public static class ModelInputs
{
    /// <summary>
    /// The model's real inputs (initializers listed as inputs excluded), with scalars marked, each input's batch axis
    /// inferred (<see cref="BatchAxes.Infer"/>) and the table size of integer inputs that index one (<see cref="IndexTableAnalysis"/>).
    /// </summary>
    public static IReadOnlyList<ModelInputSpec> Of(OnnxModel model) =>
        Annotate(model.Graph.Inputs.Select(v => new ModelInputSpec(v.Name, v.Type,
            v.Shape?.Select(d => d.Value).ToArray() ?? [], v.Shape?.Select(d => d.Symbol).ToArray() ?? [])).ToArray(), model);

    /// <summary>Adds what the graph tells about <paramref name="inputs"/> (as a runtime reports them): scalars, table sizes, batch axes.</summary>
    internal static IReadOnlyList<ModelInputSpec> Annotate(IReadOnlyList<ModelInputSpec> inputs, OnnxModel? model)
    {
        if (model is not null)
        {
            var declared = model.Graph.Inputs.ToDictionary(v => v.Name, StringComparer.Ordinal);
            var tables = IndexTableAnalysis.TableSizes(model);
            inputs = [.. inputs.Select(i =>
            {
                var shape = declared.TryGetValue(i.Name, out var v) ? v.Shape : null;
                return i with
                {
                    IsScalar = shape is { Count: 0 },
                    IndexLimit = tables.TryGetValue(i.Name, out long size) ? size : null,
                    // A runtime reports a declared negative size as free; keep it, so that data sources refuse it by name.
                    Dims = shape is not null && shape.Count == i.Dims.Count
                        ? [.. i.Dims.Select((d, k) => d ?? (shape[k].Value is long n && n < 0 ? n : null))]
                        : i.Dims,
                };
            })];
        }
        return BatchAxes.Infer(inputs);
    }
}
