using Shrink.Data;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Ops;
using Shrink.Statistics;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// Recovery without training (ThiNet, "channel pruning by reconstruction"): after channel removal, each layer whose input
/// lost channels is refitted, in topological order, by ridge least squares so that its output on calibration data matches
/// the UNPRUNED model's output at the same point. Inputs come from the pruned model as refitted so far, so every refit
/// also absorbs the error of the layers before it. Conv (2-D kernel, group 1), Gemm and MatMul with constant weights.
/// </summary>
internal sealed class LeastSquaresRefit(ChannelPruningOptions options)
{
    /// <summary>One layer to refit: the node's output name and the reference output channels it still writes (null: all).</summary>
    public sealed record Target(string Output, int[]? KeptOutputs);

    /// <summary>Refits <paramref name="targets"/> of <paramref name="pruned"/> in place, toward <paramref name="reference"/>.</summary>
    public IReadOnlyList<LayerRefit> Run(OnnxModel reference, OnnxModel pruned, IReadOnlyList<Target> targets, IDataSource data, IProgress<ProgressInfo>? progress)
    {
        var results = new List<LayerRefit>();
        var order = pruned.Graph.TopologicalOrder().Select((n, i) => (n.Outputs[0], i)).ToDictionary(p => p.Item1, p => p.i, StringComparer.Ordinal);
        var sorted = targets.Where(t => order.ContainsKey(t.Output)).OrderBy(t => order[t.Output]).ToList();
        for (int k = 0; k < sorted.Count; k++)
        {
            results.Add(RefitOne(reference, pruned, sorted[k], ResidualOf(pruned.Graph, sorted[k].Output, order), data));
            progress?.Report(new ProgressInfo("reconstruct", k + 1, sorted.Count));
        }
        return results;
    }

    /// <summary>
    /// When <paramref name="output"/> feeds only a two-input Add whose other input is computed earlier in topological
    /// order (so it is final by the time this layer is refitted), the Add's output and that other input: the layer is then
    /// fitted so that its output plus the other branch's CURRENT value matches the unpruned sum, which also absorbs the
    /// error of the other branch (a pruned shortcut, an identity branch whose producers were pruned). Otherwise null.
    /// </summary>
    private static (string Sum, string Other)? ResidualOf(ModelGraph graph, string output, Dictionary<string, int> order)
    {
        var consumers = graph.Consumers(output);
        if (consumers.Count != 1 || graph.IsGraphOutput(output)) return null;
        var add = consumers[0];
        if (add.OpType != OpTypes.Add || add.Inputs.Count != 2 || add.Inputs[0] == add.Inputs[1]) return null;
        string other = add.Inputs[0] == output ? add.Inputs[1] : add.Inputs[0];
        var producer = graph.Producer(other);
        if (producer is null || !order.TryGetValue(producer.Outputs[0], out int otherIndex) || otherIndex >= order[output]) return null;
        return (add.Outputs[0], other);
    }

    private LayerRefit RefitOne(OnnxModel reference, OnnxModel pruned, Target target, (string Sum, string Other)? residual, IDataSource data)
    {
        var graph = pruned.Graph;
        var node = graph.Producer(target.Output)!;
        var weight = graph.FindInitializer(node.Inputs[1]);
        string name = node.DisplayName;
        if (weight is null || weight.Type != ElementType.Float || graph.Consumers(weight.Name).Count > 1)
            return new LayerRefit(name, 0, 0, double.NaN, double.NaN, "weight is not a float initializer of its own");
        var layer = LayerShape.Of(node, weight);
        if (layer is null)
            return new LayerRefit(name, 0, 0, double.NaN, double.NaN, $"{node.OpType} with these attributes is not refitted");
        string? biasName = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? node.Inputs[2] : null;
        var bias = biasName is null ? null : graph.FindInitializer(biasName);
        if (biasName is not null && (bias is null || bias.Type != ElementType.Float || graph.Consumers(biasName).Count > 1))
            return new LayerRefit(name, 0, 0, double.NaN, double.NaN, "bias is not a float initializer of its own");
        var partner = residual is { } rp ? PartnerOf(graph, rp.Other, node) : null;
        if (partner is not null) name = $"{name} + {partner.Node.DisplayName}";
        bool fitBias = layer.CanHaveBias;
        int mainCols = layer.InputFeatures + (fitBias ? 1 : 0);
        int cols = mainCols + (partner?.Layer.InputFeatures ?? 0);
        int outputs = layer.OutputFeatures;

        var gram = new float[cols * cols];
        var cross = new float[cols * outputs];
        double targetEnergy = 0;
        long rows = 0;
        string input = node.Inputs[0];
        string referenceValue = residual?.Sum ?? target.Output;
        var exposed = new List<string> { input };
        if (residual is { } r) exposed.Add(partner is null ? r.Other : partner.Node.Inputs[0]);
        // One run per batch of the pruned model (its layer's input) and the unpruned reference (the target).
        var tensors = exposed.Select(v => new StatisticTensor(0, v)).Append(new StatisticTensor(1, referenceValue));
        int step = 1;
        long counter = 0;
        float[] columns = [], targetsT = [], partnerColumns = [], scratch = [];
        var captured = new CapturedTensorsRequest(tensors, (current, values) =>
        {
            var batch = current.Batch;
            Runtime.OutputTensor Value(string v) => values.TryGet(0, v, out var t) ? t : FromBatch(batch, v);
            var x = Value(input);
            var y = values.TryGet(1, referenceValue, out var computed) ? computed : throw new KeyNotFoundException($"'{referenceValue}' was not computed.");
            var keptOutputs = target.KeptOutputs;
            if (residual is { } res && partner is null)
            {
                y = Subtract(y, keptOutputs, Value(res.Other));
                keptOutputs = null;
            }
            long batchRows = layer.RowCount(y.Shape);
            if (rows == 0 && counter == 0)
            {
                long total = batchRows * Math.Max(1, Math.Min(options.Samples, data.Count ?? options.Samples)) / Math.Max(1, batch.Count);
                step = (int)Math.Max(1, (total + options.ReconstructionRows - 1) / options.ReconstructionRows);
                if (step > 1 && step % 2 == 0) step++; // an odd stride does not alias with even spatial sizes
            }
            int selected = (int)((batchRows - ((step - counter % step) % step) + step - 1) / step);
            if (selected <= 0) { counter += batchRows; return; }
            if (columns.Length < cols * selected) columns = new float[cols * selected];
            if (targetsT.Length < outputs * selected) targetsT = new float[outputs * selected];
            long first = (step - counter % step) % step;
            layer.Fill(x, y, keptOutputs, first, step, selected, fitBias, columns, targetsT);
            if (partner is not null)
            {
                int partnerCols = partner.Layer.InputFeatures;
                if (partnerColumns.Length < partnerCols * selected) partnerColumns = new float[partnerCols * selected];
                if (scratch.Length < outputs * selected) scratch = new float[outputs * selected];
                partner.Layer.Fill(Value(partner.Node.Inputs[0]), y, keptOutputs, first, step, selected, false, partnerColumns, scratch);
                Array.Copy(partnerColumns, 0, columns, mainCols * selected, partnerCols * selected);
            }
            counter += batchRows;
            rows += selected;
            for (int i = 0; i < outputs * selected; i++) targetEnergy += (double)targetsT[i] * targetsT[i];
            DenseMatrix.Gemm(false, true, cols, cols, selected, 1f, columns, 0, selected, columns, 0, selected, 1f, gram, 0, cols);
            DenseMatrix.Gemm(false, true, cols, outputs, selected, 1f, columns, 0, selected, targetsT, 0, selected, 1f, cross, 0, outputs);
        });
        StatisticsRunner.Run([new StatisticsTap(pruned), new StatisticsTap(reference)], [captured], data,
            new StatisticsRunOptions { Samples = options.Samples, BatchSize = options.BatchSize });
        if (rows == 0) throw new ShrinkException($"{data.Description}: empty calibration data set.");
        var current = new float[cols * outputs];
        layer.ReadWeights(weight.ToFloatArray(), bias?.ToFloatArray(), fitBias).CopyTo(current, 0);
        if (partner is not null)
        {
            partner.Layer.ReadWeights(partner.Weight.ToFloatArray(), null, false).CopyTo(current, mainCols * outputs);
            if (partner.Bias is not null && fitBias)
            {
                var pb = partner.Bias.ToFloatArray();
                for (int j = 0; j < outputs; j++) current[(mainCols - 1) * outputs + j] += pb.Length == 1 ? pb[0] : pb[j];
            }
        }
        double before = Error(gram, cross, current, cols, outputs, targetEnergy);
        var solved = RidgeSolver.Solve(gram, cross, cols, outputs, options.RidgeFactor);
        if (solved is null)
            return new LayerRefit(name, rows, cols, before, before, "the normal equations are singular");
        double after = Error(gram, cross, solved, cols, outputs, targetEnergy);
        if (!(after < before))
            return new LayerRefit(name, rows, cols, before, before, "the refit did not lower the error; weights kept");
        graph.SetInitializer(TensorData.FromFloats(weight.Name, weight.Dims.ToArray(), layer.WriteWeights(solved)));
        if (fitBias)
        {
            var newBias = new float[outputs];
            for (int j = 0; j < outputs; j++) newBias[j] = solved[(mainCols - 1) * outputs + j];
            if (bias is not null && bias.ElementCount == outputs)
                graph.SetInitializer(TensorData.FromFloats(bias.Name, bias.Dims.ToArray(), newBias));
            else
            {
                string added = graph.UniqueName(weight.Name + "_bias");
                graph.SetInitializer(TensorData.FromFloats(added, [outputs], newBias));
                if (node.Inputs.Count > 2) graph.SetInput(node, 2, added);
                else graph.AddInput(node, added);
            }
        }
        if (partner is not null)
        {
            var rest = solved.AsSpan(mainCols * outputs).ToArray();
            graph.SetInitializer(TensorData.FromFloats(partner.Weight.Name, partner.Weight.Dims.ToArray(), partner.Layer.WriteWeights(rest)));
            if (partner.Bias is not null && fitBias)
                graph.SetInitializer(TensorData.FromFloats(partner.Bias.Name, partner.Bias.Dims.ToArray(), new float[partner.Bias.ElementCount]));
        }
        return new LayerRefit(name, rows, cols, before, after);
    }

    /// <summary>A refittable layer that takes part in a joint fit.</summary>
    private sealed record Part(Node Node, TensorData Weight, TensorData? Bias, LayerShape Layer);

    /// <summary>
    /// The layer that writes <paramref name="other"/> (the other input of the Add that <paramref name="main"/> feeds), when
    /// it is a refittable Conv/Gemm/MatMul with weights (and bias) of its own whose output only feeds that Add: both are
    /// then refitted jointly toward the unpruned sum, one least-squares problem over both layers' inputs.
    /// </summary>
    private Part? PartnerOf(ModelGraph graph, string other, Node main)
    {
        if (!options.JointResidualRefit) return null;
        var node = graph.Producer(other);
        if (node is null || node == main || node.Inputs.Count < 2 || graph.Consumers(other).Count != 1 || graph.IsGraphOutput(other)) return null;
        var weight = graph.FindInitializer(node.Inputs[1]);
        if (weight is null || weight.Type != ElementType.Float || graph.Consumers(weight.Name).Count > 1) return null;
        var layer = LayerShape.Of(node, weight);
        if (layer is null) return null;
        string? biasName = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? node.Inputs[2] : null;
        var bias = biasName is null ? null : graph.FindInitializer(biasName);
        if (biasName is not null && (bias is null || bias.Type != ElementType.Float || graph.Consumers(biasName).Count > 1)) return null;
        return new Part(node, weight, bias, layer);
    }

    /// <summary>‖Y − XW‖² / ‖Y‖² from the normal-equation sums: (ΣY² − 2·tr(WᵀH) + tr(WᵀGW)) / ΣY².</summary>
    private static double Error(float[] gram, float[] cross, float[] w, int n, int m, double energy)
    {
        double e = energy;
        var gw = new float[n * m];
        DenseMatrix.Gemm(false, false, n, m, n, 1f, gram, 0, n, w, 0, m, 0f, gw, 0, m);
        for (int i = 0; i < n * m; i++) e += (double)w[i] * (gw[i] - 2.0 * cross[i]);
        return Math.Max(0, e) / Math.Max(energy, 1e-30);
    }

    private static Runtime.OutputTensor FromBatch(DataBatch batch, string input)
    {
        var t = batch.Inputs.First(i => i.Name == input);
        return new Runtime.OutputTensor(input, t.Shape, t.Data as float[] ?? throw new ShrinkException($"Input '{input}' is not float; cannot refit the layer reading it."));
    }

    /// <summary>The reference sum's kept channels minus the pruned other branch: y'[n, j, …] = sum[n, kept[j], …] − other[n, j, …].</summary>
    private static Runtime.OutputTensor Subtract(Runtime.OutputTensor sum, int[]? kept, Runtime.OutputTensor other)
    {
        int channels = (int)other.Shape[1];
        int refChannels = (int)sum.Shape[1];
        long batch = other.Shape[0];
        long inner = 1;
        for (int i = 2; i < other.Shape.Length; i++) inner *= other.Shape[i];
        if (sum.Shape[0] != batch || sum.Data.Length != batch * refChannels * inner || (kept is null ? refChannels != channels : kept.Length != channels))
            throw new InvalidOperationException($"Residual refit: '{sum.Name}' {string.Join('x', sum.Shape)} does not match '{other.Name}' {string.Join('x', other.Shape)}; this is a bug.");
        var data = new float[other.Data.Length];
        for (long n = 0; n < batch; n++)
            for (int j = 0; j < channels; j++)
            {
                long from = (n * refChannels + (kept?[j] ?? j)) * inner, to = (n * channels + j) * inner;
                for (long i = 0; i < inner; i++) data[to + i] = sum.Data[from + i] - other.Data[to + i];
            }
        return new Runtime.OutputTensor(sum.Name, other.Shape, data);
    }
}
