using System.Diagnostics;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Validation;

namespace Shrink.Methods.Quantization.Dynamic;

/// <summary>
/// Dynamic int8 quantization for transformer and recurrent models: MatMul (and Gemm without transA) with a constant
/// weight becomes com.microsoft DynamicQuantizeMatMul, with int8 weights per output column and activations quantized
/// per tensor at run time. No calibration data is needed. Convolutions stay in float. Layers inside If/Loop/Scan bodies
/// are rewritten in place (a weight the layer alone reads from an enclosing graph moves into its subgraph first).
/// </summary>
public sealed class DynamicQuantizer(StaticQuantizationOptions options)
{
    /// <summary>Quantizes a copy of <paramref name="model"/>.</summary>
    public QuantizationResult Quantize(OnnxModel model)
    {
        string source = model.Name;
        var (quantized, prepared) = PreparationProfile.Compression.PrepareWeights(model, source);
        var preprocessing = prepared.Concat(AttentionLayout.Apply(quantized, options)).ToList();
        var clock = Stopwatch.StartNew();
        var graph = quantized.Graph;
        var done = new Dictionary<string, int>();
        var left = new List<(string, string, int)>();
        // Opened first: the main graph and every If/Loop/Scan body hand out names from one set.
        var subgraphs = SubgraphEdit.Open(quantized);
        foreach (var node in graph.Nodes.ToList())
        {
            string? reason = Rewrite(graph, node, options);
            if (reason is null) done[node.OpType] = done.GetValueOrDefault(node.OpType) + 1;
            else if (OpCatalog.FindLayer(node.OpType, node.Domain) is not null) left.Add((node.OpType, reason, 1));
        }
        // Layers inside subgraphs are rewritten in place, their int8 weights stored in the subgraph that owns them.
        var outside = subgraphs.LocalizeWeights().ToDictionary(l => l.Node, l => l.Reason);
        foreach (var scope in subgraphs.Scopes)
        {
            foreach (var node in scope.Graph.Nodes.ToList())
            {
                string? reason = outside.GetValueOrDefault(node) ?? Rewrite(scope.Graph, node, options);
                if (reason is null) done[node.OpType] = done.GetValueOrDefault(node.OpType) + 1;
                else if (OpCatalog.FindLayer(node.OpType, node.Domain) is not null) left.Add((node.OpType, $"{reason} (inside {scope.Path}: {node.DisplayName})", 1));
            }
        }
        subgraphs.Commit();
        if (done.Count == 0)
            throw new ShrinkException($"{source}: nothing to quantize dynamically: no MatMul or Gemm with a constant float weight{(left.Count > 0 ? $" ({left[0].Item1}: {left[0].Item2})" : "")}.");
        var outputNotes = AttentionLayout.MaskAsBias(quantized, options).ToList();
        if (SharedActivationQuantization.Apply(graph) is int shared and > 0)
            outputNotes.Add($"shared activation quantization: {shared} activation(s) read by several int8 MatMuls quantized once (DynamicQuantizeLinear, then MatMulIntegerToFloat per MatMul)");
        graph.RemoveUnusedInitializers();
        graph.SortTopologically();
        if (quantized.OpsetVersion("com.microsoft") == 0) quantized.SetOpsetVersion("com.microsoft", 1);
        quantized.ProducerName = "shrink";
        double seconds = clock.Elapsed.TotalSeconds;
        WrittenModelCheck.Verify(model, quantized, source);
        return new QuantizationResult
        {
            Model = quantized,
            Mode = "dynamic",
            Preprocessing = preprocessing,
            OutputNotes = outputNotes,
            QuantizedByOp = done,
            LeftInFloat = left.GroupBy(l => (l.Item1, l.Item2)).Select(g => (g.Key.Item1, g.Key.Item2, g.Count())).ToList(),
            Fusion = FusionInspector.Inspect(quantized),
            RewriteSeconds = seconds,
        };
    }

    private static string? Rewrite(ModelGraph graph, Node node, StaticQuantizationOptions options)
    {
        if (node.Domain.Length != 0 || node.OpType is not (OpTypes.MatMul or OpTypes.Gemm)) return "not a MatMul or Gemm";
        if (options.ExcludeOps.Contains(node.OpType) || options.ExcludeNodes.Contains(node.Name) || options.ExcludeNodes.Contains(node.DisplayName))
            return "excluded by the user";
        var w = graph.FindInitializer(node.Inputs[1]);
        if (w is not { Type: ElementType.Float } || w.Dims.Count != 2) return "the weight is not a 2-D float constant";
        long bad = w.IndexOfNonFinite();
        if (bad >= 0)
            throw new ShrinkException($"Weight '{w.Name}' of node '{node.DisplayName}' holds NaN or Inf at element {bad}.");
        bool transB = false;
        string? bias = null;
        var schema = OpCatalog.Find(node.OpType, node.Domain)!;
        if (schema.Layer == LayerKind.Gemm)
        {
            if (schema.ReadsInputTransposed(node.GetInt) || node.GetFloat("alpha", 1f) != 1f || node.GetFloat("beta", 1f) != 1f)
                return "Gemm with transA, alpha or beta is not quantized dynamically";
            // B stored [N, K]: output features on its axis 0.
            transB = schema.WeightOutputAxis!(node.GetInt) == 0;
            if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
            {
                var c = graph.FindInitializer(node.Inputs[2]);
                long n = transB ? w.Dims[0] : w.Dims[1];
                if (c is not { Type: ElementType.Float } || c.Dims.Count != 1 || c.Dims[0] != n) return "the Gemm bias is not a 1-D constant";
                bias = c.Name;
            }
        }
        // A MatMul's bias Add (its only reader, with a 1-D float constant of N values) goes into the kernel's bias input:
        // one node instead of two, and no pass over the product to add it.
        Node? biasAdd = null;
        if (schema.Layer != LayerKind.Gemm && !graph.IsGraphOutput(node.Outputs[0]) && graph.Consumers(node.Outputs[0]) is [{ OpType: OpTypes.Add, Domain: "" } add]
            && add.Inputs.Count == 2 && add.Inputs[0] != add.Inputs[1])
        {
            var c = graph.FindInitializer(add.Inputs[add.Inputs[0] == node.Outputs[0] ? 1 : 0]);
            if (c is { Type: ElementType.Float } && c.Dims.Count == 1 && c.Dims[0] == w.Dims[1])
            {
                bias = c.Name;
                biasAdd = add;
            }
        }
        // DynamicQuantizeMatMul wants B as [K, N] with one scale per column N.
        var values = w.AsSpan<float>();
        long rows = w.Dims[0], cols = w.Dims[1];
        float[] kn;
        long k = rows, nCols = cols;
        if (transB)
        {
            kn = new float[values.Length];
            for (long r = 0; r < rows; r++)
                for (long c = 0; c < cols; c++) kn[c * rows + r] = values[(int)(r * cols + c)];
            k = cols;
            nCols = rows;
        }
        else kn = values.ToArray();
        var q = new sbyte[kn.Length];
        var scales = QuantMath.QuantizeWeightsPerChannel(kn, [k, nCols], 1, q);
        string qName = graph.UniqueName(w.Name + "_quantized"), sName = graph.UniqueName(w.Name + "_scale"), zName = graph.UniqueName(w.Name + "_zero_point");
        graph.SetInitializer(TensorData.Create<sbyte>(qName, [k, nCols], q, ElementType.Int8));
        graph.SetInitializer(TensorData.FromFloats(sName, [nCols], scales));
        graph.SetInitializer(TensorData.Create<sbyte>(zName, [nCols], new sbyte[nCols], ElementType.Int8));
        var inputs = new List<string> { node.Inputs[0], qName, sName, zName };
        if (bias is not null) inputs.Add(bias);
        graph.AddNodeBefore(node, OpTypes.DynamicQuantizeMatMul, inputs, [(biasAdd ?? node).Outputs[0]], node.Name.Length > 0 ? node.Name + "_quant" : null, domain: OpDomains.Microsoft);
        graph.RemoveNode(node);
        if (biasAdd is not null) graph.RemoveNode(biasAdd);
        return null;
    }
}
