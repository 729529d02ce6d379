using Onnx;
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
        var probe = model.Clone();
        var graph = probe.Proto.Graph;
        var existing = new HashSet<string>(graph.Output.Select(o => o.Name));
        var wanted = values?.ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var o in node.Output)
                if (o.Length > 0 && (wanted is null || wanted.Contains(o)) && existing.Add(o))
                    graph.Output.Add(new ValueInfoProto { Name = o });
        // The clone's IR view was built before the outputs were added; ORT reads the proto directly.
        return ModelSession.Open(OnnxModel.FromProto(probe.Proto, model.Name), new RuntimeOptions { Optimize = wanted is not null });
    }
}
