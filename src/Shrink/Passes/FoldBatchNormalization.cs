using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Passes;

/// <summary>
/// Folds an inference-mode BatchNormalization into the Conv, ConvTranspose or Gemm that feeds it:
/// W' = W·γ/√(σ²+ε) per output channel and b' = (b − μ)·γ/√(σ²+ε) + β. The producer then writes the BN's output
/// name, so consumers and graph outputs keep their names, and the BN disappears.
/// </summary>
/// <remarks>
/// <para>A BN folds when: it is in the default domain, runs in inference mode (no <c>training_mode</c>, no
/// <c>spatial=0</c>, and its running-statistics outputs are unused); its scale, B, mean and var are float32
/// initializers with one value per output channel; its input is produced by a Conv, ConvTranspose or Gemm whose weight
/// (and bias, if any) is a float32 initializer and whose output nothing else reads. For Gemm the output channel is the
/// column of Y (a column of B, or a row with <c>transB</c>) and C must hold one value per column (or be a scalar);
/// ConvTranspose weights are [C_in, M/group, k...] and output channel g·M/group + m.</para>
/// <para>A weight or bias that other nodes also read is copied to a new initializer rather than changed in place.
/// Initializers that only the folded nodes read are removed. A BN that cannot be folded stays, and the details say why.</para>
/// </remarks>
[Registered("fold-batchnorm", "folds inference BatchNormalization into the Conv, ConvTranspose or Gemm before it")]
public sealed class FoldBatchNormalization : IGraphPass
{
    /// <inheritdoc />
    public string Name => "fold-batchnorm";

    /// <inheritdoc />
    public GraphPassResult Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var details = new List<string>();
        var released = new HashSet<string>(StringComparer.Ordinal);
        var staleInfos = new HashSet<string>(StringComparer.Ordinal);
        int folded = 0;
        foreach (var bn in graph.Nodes.Where(n => ReferenceEquals(OpCatalog.Find(n.OpType, n.Domain), NormalizationSchemas.BatchNormalization)).ToList())
        {
            var plan = Plan(graph, bn, out string reason);
            if (plan is null)
            {
                details.Add($"kept {bn.DisplayName}: {reason}");
                continue;
            }
            Fold(graph, plan, released, staleInfos);
            folded++;
            details.Add($"folded {bn.DisplayName} into {plan.Producer.DisplayName} ({plan.Producer.OpType})");
        }
        // The producers' old output names are gone; their value_info goes in one pass over the list.
        if (staleInfos.Count > 0) graph.RemoveValueInfos(staleInfos);
        foreach (var name in released)
        {
            if (graph.FindInitializer(name) is not null && graph.Consumers(name).Count == 0 && !graph.IsGraphOutput(name))
                graph.RemoveInitializer(name);
        }
        return new GraphPassResult(folded, details);
    }

    /// <summary>Everything a fold needs, computed before anything changes so a refusal leaves the graph untouched.</summary>
    private sealed record FoldPlan(Node BatchNorm, Node Producer, TensorData Weight, float[] NewWeight, string? BiasName, float[] NewBias, bool IsGemm);

    private static readonly string[] ParameterNames = ["scale", "B", "mean", "var"];

    private static FoldPlan? Plan(ModelGraph graph, Node bn, out string reason)
    {
        reason = "";
        if (bn.Inputs.Count < 5 || bn.Inputs.Take(5).Any(i => i.Length == 0))
            return Refuse(out reason, "it does not have the five inputs X, scale, B, mean, var");
        if (bn.GetInt("training_mode", 0) != 0)
            return Refuse(out reason, "it runs in training mode (training_mode=1)");
        if (bn.GetInt("spatial", 1) == 0)
            return Refuse(out reason, "spatial=0 (statistics per activation, not per channel)");
        foreach (var extra in bn.Outputs.Skip(1))
        {
            if (extra.Length > 0 && (graph.Consumers(extra).Count > 0 || graph.IsGraphOutput(extra)))
                return Refuse(out reason, $"its training output '{extra}' is read");
        }
        string x = bn.Inputs[0];
        var producer = graph.Producer(x);
        var schema = producer is null ? null : OpCatalog.Find(producer.OpType, producer.Domain);
        if (producer is null || schema is not { FoldsBatchNormalization: true })
            return Refuse(out reason, $"its input '{x}' is not produced by a Conv, ConvTranspose or Gemm");
        if (producer.Outputs.Count != 1 || producer.Outputs[0] != x)
            return Refuse(out reason, $"{producer.DisplayName} has more than one output");
        if (graph.Consumers(x).Count != 1 || graph.IsGraphOutput(x))
            return Refuse(out reason, $"the output '{x}' of {producer.DisplayName} has other readers");

        var parameters = new float[4][];
        for (int k = 0; k < 4; k++)
        {
            string name = bn.Inputs[k + 1];
            var t = graph.FindInitializer(name);
            if (t is null) return Refuse(out reason, $"its {ParameterNames[k]} '{name}' is not an initializer");
            if (t.Type != ElementType.Float) return Refuse(out reason, $"its {ParameterNames[k]} '{name}' is {t.Type.OnnxName()}; only float32 is folded");
            parameters[k] = t.ToFloatArray();
        }

        if (producer.Inputs.Count < 2 || graph.FindInitializer(producer.Inputs[1]) is not { } w)
            return Refuse(out reason, $"the weight of {producer.DisplayName} is not an initializer");
        if (w.Type != ElementType.Float)
            return Refuse(out reason, $"the weight '{w.Name}' of {producer.DisplayName} is {w.Type.OnnxName()}; only float32 weights are folded");

        bool isGemm = schema.Layer == LayerKind.Gemm;
        int channels;
        Func<long, int> channelOf;
        var dims = w.Dims;
        switch (schema.Layer)
        {
            case LayerKind.Convolution:
                {
                    if (dims.Count < 2) return Refuse(out reason, $"the weight '{w.Name}' has rank {dims.Count}");
                    channels = checked((int)dims[0]);
                    long inner = Product(dims, 1);
                    channelOf = i => (int)(i / inner);
                    break;
                }
            case LayerKind.TransposedConvolution:
                {
                    if (dims.Count < 2) return Refuse(out reason, $"the weight '{w.Name}' has rank {dims.Count}");
                    long group = producer.GetInt("group", 1);
                    long inChannels = dims[0], perGroup = dims[1];
                    if (group < 1 || inChannels % group != 0) return Refuse(out reason, $"group={group} does not divide the {inChannels} input channels of '{w.Name}'");
                    channels = checked((int)(perGroup * group));
                    long inner = Product(dims, 2), inPerGroup = inChannels / group;
                    channelOf = i =>
                    {
                        long c = i / (perGroup * inner), m = i / inner % perGroup;
                        return (int)(c / inPerGroup * perGroup + m);
                    };
                    break;
                }
            default:
                {
                    if (dims.Count != 2) return Refuse(out reason, $"the Gemm weight '{w.Name}' has rank {dims.Count}");
                    bool transB = schema.WeightOutputAxis!(producer.GetInt) == 0;
                    long columns = transB ? dims[0] : dims[1];
                    channels = checked((int)columns);
                    long k = transB ? dims[1] : dims[0];
                    channelOf = transB ? i => (int)(i / k) : i => (int)(i % columns);
                    break;
                }
        }
        for (int k = 0; k < 4; k++)
        {
            if (parameters[k].Length != channels)
                return Refuse(out reason, $"its {ParameterNames[k]} has {parameters[k].Length} values but {producer.DisplayName} has {channels} output channels");
        }

        // The producer's bias, as one value per output channel (Gemm: beta·C broadcast over the columns).
        var bias = new double[channels];
        string? biasName = producer.Inputs.Count > 2 && producer.Inputs[2].Length > 0 ? producer.Inputs[2] : null;
        if (biasName is not null)
        {
            var b = graph.FindInitializer(biasName);
            if (b is null) return Refuse(out reason, $"the bias '{biasName}' of {producer.DisplayName} is not an initializer");
            if (b.Type != ElementType.Float) return Refuse(out reason, $"the bias '{biasName}' of {producer.DisplayName} is {b.Type.OnnxName()}; only float32 is folded");
            var values = b.ToFloatArray();
            if (isGemm)
            {
                bool perColumn = b.Dims.Count switch
                {
                    0 => true,
                    1 => b.Dims[0] == 1 || b.Dims[0] == channels,
                    2 => b.Dims[0] == 1 && (b.Dims[1] == 1 || b.Dims[1] == channels),
                    _ => false,
                };
                if (!perColumn)
                    return Refuse(out reason, $"the Gemm C '{biasName}' has shape [{string.Join(",", b.Dims)}], not one value per output column");
                double beta = producer.GetFloat("beta", 1f);
                for (int c = 0; c < channels; c++) bias[c] = beta * values[values.Length == 1 ? 0 : c];
            }
            else
            {
                if (values.Length != channels)
                    return Refuse(out reason, $"the bias '{biasName}' of {producer.DisplayName} has {values.Length} values for {channels} output channels");
                for (int c = 0; c < channels; c++) bias[c] = values[c];
            }
        }

        float epsilon = bn.GetFloat("epsilon", 1e-5f);
        var factor = new double[channels];
        var newBias = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double variance = (double)parameters[3][c] + epsilon;
            if (!(variance > 0) || !double.IsFinite(variance))
                return Refuse(out reason, $"var + epsilon of channel {c} is {variance}, not a positive number");
            factor[c] = parameters[0][c] / Math.Sqrt(variance);
            newBias[c] = (float)((bias[c] - parameters[2][c]) * factor[c] + parameters[1][c]);
        }
        var weights = w.ToFloatArray();
        for (long i = 0; i < weights.Length; i++) weights[i] = (float)(weights[i] * factor[channelOf(i)]);
        return new FoldPlan(bn, producer, w, weights, biasName, newBias, isGemm);
    }

    private static FoldPlan? Refuse(out string reason, string why)
    {
        reason = why;
        return null;
    }

    private static long Product(IReadOnlyList<long> dims, int from)
    {
        long n = 1;
        for (int d = from; d < dims.Count; d++) n *= dims[d];
        return n;
    }

    private static void Fold(ModelGraph graph, FoldPlan plan, HashSet<string> released, HashSet<string> staleInfos)
    {
        var (bn, producer, w) = (plan.BatchNorm, plan.Producer, plan.Weight);
        string stem = producer.Name.Length > 0 ? producer.Name : producer.Outputs[0];

        // Weight: in place when only this node reads it, else a copy (other readers keep the original values).
        if (Exclusive(graph, w.Name, producer))
        {
            graph.SetInitializer(WithData(w, w.Dims.ToArray(), plan.NewWeight));
        }
        else
        {
            string name = graph.UniqueName(w.Name + "_bnfolded");
            graph.SetInitializer(TensorData.FromFloats(name, w.Dims.ToArray(), plan.NewWeight));
            graph.SetInput(producer, 1, name);
        }

        // Bias (Gemm: C, with beta now folded in).
        long[] biasDims = [plan.NewBias.Length];
        if (plan.BiasName is { } biasName && Exclusive(graph, biasName, producer))
        {
            graph.SetInitializer(WithData(graph.FindInitializer(biasName)!, biasDims, plan.NewBias));
        }
        else
        {
            if (plan.BiasName is not null) released.Add(plan.BiasName);
            string name = graph.UniqueName((plan.BiasName ?? stem + "_bias") + "_bnfolded");
            graph.SetInitializer(TensorData.FromFloats(name, biasDims, plan.NewBias));
            if (producer.Inputs.Count > 2) graph.SetInput(producer, 2, name);
            else graph.AddInput(producer, name);
        }
        if (plan.IsGemm && producer.HasAttribute("beta"))
            producer.SetFloat("beta", 1f);

        // The producer takes over the BN's output name, so consumers and graph outputs are unchanged.
        string oldOutput = producer.Outputs[0];
        graph.RemoveNode(bn);
        graph.SetOutput(producer, 0, bn.Outputs[0]);
        staleInfos.Add(oldOutput);
        for (int k = 1; k < 5; k++) released.Add(bn.Inputs[k]);
    }

    // True when `node` is the only reader of the initializer and it is not a graph output.
    private static bool Exclusive(ModelGraph graph, string name, Node node)
    {
        var readers = graph.Consumers(name);
        return readers.Count == 1 && ReferenceEquals(readers[0], node) && !graph.IsGraphOutput(name);
    }

    // A copy of the tensor (name, doc string kept) holding new float data.
    private static TensorData WithData(TensorData original, long[] dims, float[] values)
    {
        var copy = original.Clone();
        copy.SetData<float>(dims, values, ElementType.Float);
        return copy;
    }
}
