using Shrink.Onnx;

namespace Shrink.Graph.Passes;

/// <summary>
/// Folds an inference-mode BatchNormalization into the Conv or Gemm that feeds it: W' = W·γ/√(σ²+ε) per output
/// channel, b' = (b − μ)·γ/√(σ²+ε) + β. Exporters usually fold BN themselves; this pass covers those that do not.
/// A BN that cannot be folded stays, with the reason in the details.
/// </summary>
public sealed class FoldBatchNormalization : IGraphPass
{
    /// <inheritdoc />
    public string Name => "fold-batchnorm";

    /// <inheritdoc />
    public GraphPassResult Apply(OnnxModel model)
    {
        var graph = model.Graph;
        var details = new List<string>();
        int folded = 0;
        foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0).ToList())
        {
            string? reason = TryFold(graph, bn);
            if (reason is null) { folded++; details.Add($"folded {bn.DisplayName}"); }
            else details.Add($"kept {bn.DisplayName}: {reason}");
        }
        if (folded > 0) graph.RemoveUnusedInitializers();
        return new GraphPassResult(folded, details);
    }

    private static string? TryFold(ModelGraph graph, Node bn)
    {
        if (bn.Outputs.Skip(1).Any(o => o.Length > 0 && (graph.Consumers(o).Count > 0 || graph.IsGraphOutput(o))))
            return "training-mode outputs are used";
        var producer = graph.Producer(bn.Inputs[0]);
        if (producer is null || producer.OpType is not ("Conv" or "Gemm") || producer.Domain.Length != 0) return "not fed by a Conv or Gemm";
        if (graph.Consumers(bn.Inputs[0]).Count != 1 || graph.IsGraphOutput(bn.Inputs[0])) return "the producer's output has other readers";
        var p = bn.Inputs.Skip(1).Take(4).Select(graph.FindInitializer).ToArray();
        if (p.Length != 4 || p.Any(t => t is not { Type: ElementType.Float })) return "scale, bias, mean or variance is not a float constant";
        var w = graph.FindInitializer(producer.Inputs[1]);
        if (w is not { Type: ElementType.Float }) return "the weight is not a float constant";
        if (producer.OpType == "Gemm" && (producer.GetInt("transA", 0) != 0 || producer.GetFloat("alpha", 1f) != 1f || producer.GetFloat("beta", 1f) != 1f))
            return "Gemm with transA, alpha or beta";
        bool transB = producer.GetInt("transB", 0) != 0;
        int axis = producer.OpType == "Conv" || transB ? 0 : 1;
        int channels = (int)w.Dims[axis];
        var scale = p[0]!.AsSpan<float>();
        var beta = p[1]!.AsSpan<float>();
        var mean = p[2]!.AsSpan<float>();
        var variance = p[3]!.AsSpan<float>();
        if (scale.Length != channels || beta.Length != channels || mean.Length != channels || variance.Length != channels)
            return $"BN has {scale.Length} channels but the weight has {channels}";
        float epsilon = bn.GetFloat("epsilon", 1e-5f);
        var factor = new float[channels];
        for (int c = 0; c < channels; c++) factor[c] = scale[c] / MathF.Sqrt(variance[c] + epsilon);

        var weights = w.ToFloatArray();
        long inner = 1;
        for (int d = axis + 1; d < w.Dims.Count; d++) inner *= w.Dims[d];
        long outer = weights.Length / (channels * inner);
        for (long o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
                for (long i = 0; i < inner; i++) weights[(o * channels + c) * inner + i] *= factor[c];
        float[] bias = new float[channels];
        string? biasName = producer.Inputs.Count > 2 && producer.Inputs[2].Length > 0 ? producer.Inputs[2] : null;
        if (biasName is not null)
        {
            var b = graph.FindInitializer(biasName);
            if (b is not { Type: ElementType.Float } || b.ElementCount != channels) return "the producer's bias is not a 1-D float constant";
            b.AsSpan<float>().CopyTo(bias);
        }
        for (int c = 0; c < channels; c++) bias[c] = (bias[c] - mean[c]) * factor[c] + beta[c];

        // New initializers, so weights shared with other nodes are left as they were.
        string wName = graph.UniqueName(w.Name + "_bnfolded"), bName = graph.UniqueName((biasName ?? producer.DisplayName + "_bias") + "_bnfolded");
        graph.SetInitializer(TensorData.FromFloats(wName, w.Dims.ToArray(), weights));
        graph.SetInitializer(TensorData.FromFloats(bName, [channels], bias));
        graph.SetInput(producer, 1, wName);
        if (producer.Inputs.Count > 2) graph.SetInput(producer, 2, bName);
        else graph.AddInput(producer, bName);
        graph.SetOutput(producer, 0, bn.Outputs[0]);
        graph.RemoveNode(bn);
        return null;
    }
}
