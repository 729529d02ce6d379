using Shrink.Data;
using Shrink.Model;

namespace Shrink.Runtime;

/// <summary>
/// Measures the concrete shape of every value in a model by running it once in ONNX Runtime with all intermediate
/// values exposed as outputs. This fills in what value_info lacks (exporters often omit it, and dims computed by
/// Shape/Gather/Concat chains are unknown statically). When every value is exposed optimizations are off so every value
/// survives; when the caller names the values, ONNX Runtime optimizes the rest of the graph (values that are graph outputs
/// are kept), which opens a large graph about twice as fast.
/// </summary>
public static class ValueShapeProbe
{
    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="sample"/> and returns value name → shape, for every value or only
    /// for <paramref name="values"/> (and the graph outputs): ONNX Runtime takes longer to open a model the more outputs
    /// it has, so callers that need a few shapes of a large graph should name them.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> Measure(OnnxModel model, DataBatch sample, IEnumerable<string>? values = null)
    {
        using var session = OpenExposed(model, values);
        using var inputs = session.Prepare(sample);
        return session.RunShapes(inputs);
    }

    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="sample"/> and returns value name → element type (exporters often
    /// omit it), for every value or only for <paramref name="values"/> (and the graph outputs).
    /// </summary>
    public static IReadOnlyDictionary<string, ElementType> MeasureTypes(OnnxModel model, DataBatch sample, IEnumerable<string>? values = null)
    {
        using var session = OpenExposed(model, values);
        using var inputs = session.Prepare(sample);
        return session.RunTypes(inputs);
    }

    private static ModelSession OpenExposed(OnnxModel model, IEnumerable<string>? values)
    {
        var wanted = values?.ToHashSet(StringComparer.Ordinal);
        var exposed = model.Graph.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0 && (wanted is null || wanted.Contains(o)));
        return ModelSession.Open(model.WithOutputs(exposed), new RuntimeOptions { Optimize = wanted is not null });
    }
}
