using System.Globalization;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Passes;

/// <summary>
/// Turns <c>Constant</c> nodes of the main graph into initializers named as the Constant's output, and removes
/// the nodes. Exporters (PyTorch at opsets 9 to 13 in particular) often store weights in Constant nodes; once
/// promoted, later passes find every weight among <see cref="ModelGraph.Initializers"/>.
/// </summary>
/// <remarks>
/// A Constant is promoted when its value is a tensor: <c>value</c>, or <c>value_float</c>, <c>value_floats</c>,
/// <c>value_int</c>, <c>value_ints</c> (converted to a float or int64 scalar or vector). It is left alone when its
/// output is also a graph output, when its value is <c>sparse_value</c>, <c>value_string</c> or
/// <c>value_strings</c>, or when its output name is already taken by an initializer or a graph input.
/// Constants inside subgraphs (If, Loop, Scan bodies) are not touched; initializers of the main graph remain
/// visible to them. For IR versions below 4, where every initializer must also be a graph input, the promoted
/// initializer is added to the graph inputs.
/// </remarks>
[Registered("promote-constants", "turns Constant nodes into initializers", Order = 2)]
public sealed class PromoteConstantsToInitializers : IGraphPass
{
    /// <inheritdoc />
    public string Name => "promote-constants";

    /// <inheritdoc />
    public GraphPassResult Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var inputNames = new HashSet<string>(graph.DeclaredInputNames, StringComparer.Ordinal);
        bool initializersMustBeInputs = model.IrVersion < 4;
        var details = new List<string>();
        foreach (var node in graph.Nodes.ToArray())
        {
            if (node.OpType != OpTypes.Constant || !(node.Domain.Length == 0 || node.Domain == "ai.onnx"))
                continue;
            if (node.Outputs.Count != 1 || node.Outputs[0].Length == 0)
                continue;
            string output = node.Outputs[0];
            if (graph.IsGraphOutput(output) || graph.FindInitializer(output) is not null || inputNames.Contains(output))
                continue;
            var data = node.ConstantValue();
            if (data is null)
                continue;
            data.Rename(output);
            graph.RemoveNode(node);
            graph.SetInitializer(data);
            if (initializersMustBeInputs)
            {
                var info = new ValueInfo(output, data.Type, data.Dims.Select(d => new Dimension(d, null)).ToArray());
                graph.AddGraphInput(info);
                inputNames.Add(output);
            }
            string dims = string.Join(",", data.Dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));
            details.Add($"{node.DisplayName}: '{output}' {data.Type.OnnxName()} [{dims}] became an initializer");
        }
        return details.Count == 0 ? GraphPassResult.None : new GraphPassResult(details.Count, details);
    }
}
