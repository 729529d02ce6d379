using System.Globalization;
using Shrink.Layers;
using Shrink.Measures;
using Shrink.Model;
using Shrink.Numerics;
using Shrink.Ops;
using Shrink.Registration;
using Shrink.Statistics;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// <c>--rotate hadamard|klt|klt+hadamard</c>: an orthogonal rotation of each weighted MatMul/Gemm input (QuaRot's
/// randomized Hadamard, the KLT, or MambaQuant's KLT·Hadamard). The input X is rotated online by a constant float
/// MatMul X·Q inserted before the layer (one per input, shared by every weighted reader of X) and each reader's weight
/// takes Qᵀ (W' = W·Q for W as [N×K]), so the function is unchanged and the tensor the quantizer sees is X·Q, whose
/// outlier channels are spread over all channels. The inserted MatMuls are listed in
/// <see cref="EquivalenceResult.FloatNodes"/> so that the quantizer leaves them (and the unrotated X) in float. Inputs with
/// fewer than <see cref="MinimumChannels"/> channels are left alone. Ranges are measured on the calibration data before
/// and after the rewrite.
/// </summary>
[Registered("rotate", "orthogonal rotation of weighted MatMul/Gemm inputs (randomized Hadamard as in QuaRot, KLT, KLT+Hadamard as in MambaQuant): a float X·Q before the layer, Qᵀ folded into its weight")]
public sealed class Rotation : IEquivalenceTransform
{
    /// <summary>Inputs with fewer channels (reduction size K) are not rotated: too small for outliers to matter.</summary>
    public const int MinimumChannels = 16;

    /// <summary>Samples measured before and after (at most): ranges and the KLT's second moments settle well before.</summary>
    public const long MeasuredSamples = 64;

    /// <inheritdoc />
    public bool NeedsData(EquivalenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Rotate is RotationKind.Klt or RotationKind.KltHadamard;
    }

    /// <inheritdoc />
    public EquivalenceResult Apply(OnnxModel model, EquivalenceContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        var kind = context.Options.Rotate;
        if (kind == RotationKind.None) return new EquivalenceResult { Name = "rotate" };
        var graph = model.Graph;
        var rows = new List<EquivalenceLayer>();
        var (layers, left) = WeightLayer.SelectAll(graph);
        foreach (var (name, opType, reason) in left)
            if (IsMatrixOp(opType)) rows.Add(Skip(name, "", reason));

        // Residual streams first: there the rotation is fused into the writers and the norms' readers (no extra op).
        var streams = new List<ResidualStream>();
        var fused = new HashSet<string>(StringComparer.Ordinal);
        var refused = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (norm, start) in NormInputs(graph))
        {
            if (streams.Any(st => st.Values.Contains(start))) continue;
            var stream = ResidualStream.Find(graph, start, out var refusal);
            if (stream is null)
            {
                if (refused.Add(refusal!)) rows.Add(Skip(norm.DisplayName, start, $"residual stream not rotated (online rotations instead): {refusal}"));
                continue;
            }
            streams.Add(stream);
            foreach (var n in stream.Norms) fused.Add(n.Output);
        }

        // One rotation per input value, shared by all its weighted readers.
        var groups = new List<(string Input, List<WeightLayer> Readers)>();
        var byInput = new Dictionary<string, List<WeightLayer>>(StringComparer.Ordinal);
        foreach (var layer in layers.Where(l => l.Schema.Layer is LayerKind.MatMul or LayerKind.Gemm))
        {
            if (layer.Cols < MinimumChannels)
            {
                rows.Add(Skip(layer.Name, layer.Input, $"reduction size {layer.Cols} < {MinimumChannels}"));
                continue;
            }
            if (fused.Contains(layer.Input)) continue;
            if (graph.FindInitializer(layer.Input) is not null)
            {
                rows.Add(Skip(layer.Name, layer.Input, "its input is a constant"));
                continue;
            }
            if (!byInput.TryGetValue(layer.Input, out var readers))
            {
                byInput[layer.Input] = readers = [];
                groups.Add((layer.Input, readers));
            }
            readers.Add(layer);
        }

        // Measure: ranges of every input, and its second moments for the KLT.
        var channels = groups.ToDictionary(g => g.Input, g => g.Readers[0].Cols, StringComparer.Ordinal);
        foreach (var stream in streams)
            foreach (var norm in stream.Norms) channels[norm.Output] = stream.Width;
        var before = new LastAxisPeakRequest(channels);
        bool klt = kind is RotationKind.Klt or RotationKind.KltHadamard;
        var moments = klt ? groups.ToDictionary(g => g.Input, g => new LayerHessian(g.Readers[0]), StringComparer.Ordinal) : [];
        if (context.Data is not null && groups.Count > 0)
        {
            var requests = new List<IStatisticRequest> { before };
            if (klt) requests.Add(new HessianRequest(moments.ToDictionary(m => m.Key, m => new List<LayerHessian> { m.Value }, StringComparer.Ordinal), 0, null, []));
            StatisticsRunner.Run(new StatisticsTap(model), requests, context.Data, RunOptions(context, "rotate: measuring inputs"));
        }

        // Edit.
        var notes = new List<string>();
        var floatNodes = new List<string>();
        var shared = new Dictionary<int, (string Initializer, float[] Matrix, string Setting)>();
        var rotated = new List<(string Input, string Output, string Node, string Setting)>();
        foreach (var stream in streams)
        {
            var (setting, note) = RotateStream(graph, stream, context.Options.Seed);
            if (note is not null && !notes.Contains(note)) notes.Add(note);
            foreach (var norm in stream.Norms) rotated.Add((norm.Output, norm.Output, norm.Node.DisplayName, setting));
            notes.Add($"residual stream ({stream.Width} channels): {stream.Tables.Count} table(s), {stream.Writers.Count} projection(s) writing, {stream.Norms.Count} norm(s) reading; rotation fused into their weights{(klt ? " (randomized Hadamard: the KLT applies to the online rotations)" : "")}");
        }
        foreach (var (input, readers) in groups)
        {
            int n = readers[0].Cols;
            var first = readers[0];
            string matrixName;
            float[] q;
            string setting;
            var factors = klt ? null : HadamardFactors.For(n, context.Options.Seed);
            if (!klt && shared.TryGetValue(n, out var cached))
                (matrixName, q, setting) = cached;
            else
            {
                string? note;
                (q, setting, note) = RotationMatrices.Build(kind, n, context.Options.Seed, klt ? moments[input].Matrix : default);
                if (note is not null && !notes.Contains(note)) notes.Add(note);
                matrixName = graph.UniqueName(klt ? $"{first.Name}/rotation" : $"rotation/{setting.Replace(' ', '_')}");
                if (factors is null) graph.SetInitializer(TensorData.FromFloats(matrixName, [n, n], q)); // the factored form needs no dense matrix
                if (!klt) shared[n] = (matrixName, q, setting);
            }
            string output = graph.UniqueName($"{input}/rotated");
            if (factors is not null)
            {
                floatNodes.AddRange(InsertFactored(graph, first, input, output, factors));
                setting += $", applied as {factors.A}×{factors.B} Kronecker factors";
            }
            else
            {
                floatNodes.Add(graph.AddNodeBefore(first.Node, OpTypes.MatMul, [input, matrixName], [output], graph.UniqueName($"{first.Name}/rotate")).Name);
            }
            foreach (var layer in readers)
            {
                var w = layer.ReadMatrix(graph);
                var product = new float[w.Length];
                DenseMatrix.Gemm(false, false, layer.Rows, n, n, 1f, w, 0, n, q, 0, n, 0f, product, 0, n);
                layer.WriteMatrix(graph, product);
                graph.SetInput(layer.Node, 0, output);
            }
            rotated.Add((input, output, string.Join(", ", readers.Select(r => r.Name)), setting + ", online"));
        }

        var after = new LastAxisPeakRequest(rotated.ToDictionary(r => r.Output, r => channels[r.Input], StringComparer.Ordinal));
        if (context.Data is not null && rotated.Count > 0)
            StatisticsRunner.Run(new StatisticsTap(model), [after], context.Data, RunOptions(context, "rotate: measuring rotated inputs"));
        foreach (var (input, output, node, setting) in rotated)
        {
            var (maxBefore, ratioBefore) = before.Range(input);
            var (maxAfter, ratioAfter) = after.Range(output);
            rows.Add(new EquivalenceLayer(node, input, maxBefore, maxAfter, ratioBefore, ratioAfter, setting));
        }
        var online = rotated.Where(r => r.Input != r.Output).ToList();
        if (online.Count > 0)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{online.Count} input(s) rotated online: each is a float MatMul by a constant {string.Join("/", online.Select(r => channels[r.Input]).Distinct().Select(c => $"{c}×{c}"))} matrix, left out of quantization"));
        return new EquivalenceResult { Name = "rotate", Layers = rows, Notes = notes, FloatNodes = floatNodes };
    }

    /// <summary>The norms that may start a residual stream (LayerNormalization, the Pow of a decomposed RMSNorm) and their input.</summary>
    private static IEnumerable<(Node Norm, string Input)> NormInputs(ModelGraph graph)
    {
        foreach (var node in graph.TopologicalOrder())
        {
            if (node.Domain.Length != 0 || node.Inputs.Count == 0) continue;
            if (node.OpType == OpTypes.LayerNormalization
                || node.OpType == OpTypes.Pow && graph.FindInitializer(node.Inputs[1]) is { } e && e.ElementCount == 1 && e.ToFloatArray()[0] == 2f)
            {
                // A LayerNorm written out squares x − mean(x): its stream is the Sub's input.
                var sub = graph.Producer(node.Inputs[0]);
                yield return (node, sub is { OpType: OpTypes.Sub } && node.OpType == OpTypes.Pow ? sub.Inputs[0] : node.Inputs[0]);
            }
        }
    }

    /// <summary>
    /// Rotates <paramref name="stream"/> by a randomized Hadamard Q (made to keep the all-ones direction where a LayerNorm
    /// reads it): tables T·Q, writers Qᵀ·W (W as [d×K]) and b·Q, norm readers W·diag(γ)·Q with γ set to 1 and a
    /// LayerNorm's β to (β/γ)·Q.
    /// </summary>
    private static (string Setting, string? Note) RotateStream(ModelGraph graph, ResidualStream stream, int seed)
    {
        int d = stream.Width;
        var (r, setting, note) = RotationMatrices.RandomizedHadamard(d, seed);
        var q64 = stream.HasLayerNorm ? RotationMatrices.KeepOnes(r, d) : r;
        var q = q64.Select(v => (float)v).ToArray();
        foreach (var name in stream.Tables)
        {
            var table = graph.FindInitializer(name)!;
            var t = table.ToFloatArray();
            int rowsCount = t.Length / d;
            var product = new float[t.Length];
            DenseMatrix.Gemm(false, false, rowsCount, d, d, 1f, t, 0, d, q, 0, d, 0f, product, 0, d);
            graph.SetInitializer(TensorData.FromFloats(name, table.Dims.ToArray(), product));
        }
        foreach (var (layer, bias) in stream.Writers)
        {
            var w = layer.ReadMatrix(graph);
            var product = new float[w.Length];
            DenseMatrix.Gemm(true, false, d, layer.Cols, d, 1f, q, 0, d, w, 0, layer.Cols, 0f, product, 0, layer.Cols);
            layer.WriteMatrix(graph, product);
            if (bias is not null) graph.SetInitializer(TensorData.FromFloats(bias, graph.FindInitializer(bias)!.Dims.ToArray(), Times(graph.FindInitializer(bias)!.ToFloatArray(), q, d)));
        }
        foreach (var norm in stream.Norms)
        {
            var gamma = graph.FindInitializer(norm.Gamma)!.ToFloatArray();
            foreach (var layer in norm.Readers)
            {
                var w = layer.ReadMatrix(graph);
                for (int row = 0; row < layer.Rows; row++)
                    for (int c = 0; c < d; c++) w[row * d + c] *= gamma[c];
                var product = new float[w.Length];
                DenseMatrix.Gemm(false, false, layer.Rows, d, d, 1f, w, 0, d, q, 0, d, 0f, product, 0, d);
                layer.WriteMatrix(graph, product);
            }
            // γ and β may be shared with other nodes: the norm gets copies of its own.
            string ones = graph.UniqueName(norm.Gamma + "/rotated");
            graph.SetInitializer(TensorData.FromFloats(ones, graph.FindInitializer(norm.Gamma)!.Dims.ToArray(), Enumerable.Repeat(1f, d).ToArray()));
            graph.SetInput(norm.ScaleNode, norm.GammaInput, ones);
            if (norm.Beta is not null)
            {
                var beta = graph.FindInitializer(norm.Beta)!;
                var moved = beta.ToFloatArray();
                for (int c = 0; c < d; c++) moved[c] /= gamma[c];
                string betaName = graph.UniqueName(norm.Beta + "/rotated");
                graph.SetInitializer(TensorData.FromFloats(betaName, beta.Dims.ToArray(), Times(moved, q, d)));
                graph.SetInput(norm.Node, 2, betaName);
            }
        }
        graph.RemoveUnusedInitializers();
        return ($"residual stream, {setting}{(stream.HasLayerNorm ? ", Householder-fixed ones" : "")}, fused", note);
    }

    private static float[] Times(float[] v, float[] q, int d)
    {
        var result = new float[d];
        for (int k = 0; k < d; k++)
        {
            float x = v[k];
            for (int j = 0; j < d; j++) result[j] += x * q[k * d + j];
        }
        return result;
    }

    /// <summary>
    /// x·Q as Mul(x, s/√n) → Reshape [-1, a, b] → MatMul(·, H_b) → MatMul(H_aᵀ, ·) → Reshape to x's shape: the same
    /// function as the dense X·Q, with n·(a + b) instead of n² multiply-adds per row. Returns the inserted nodes.
    /// </summary>
    private static List<string> InsertFactored(ModelGraph graph, WeightLayer first, string input, string output, HadamardFactors f)
    {
        string prefix = $"{first.Name}/rotate";
        string Init(TensorData data)
        {
            graph.SetInitializer(data);
            return data.Name;
        }
        string signs = Init(TensorData.FromFloats(graph.UniqueName(prefix + "/signs"), [f.Scaled.Length], f.Scaled));
        string split = Init(TensorData.Create<long>(graph.UniqueName(prefix + "/split"), [3], [-1, f.A, f.B], ElementType.Int64));
        string right = Init(TensorData.FromFloats(graph.UniqueName(prefix + "/hadamard_b"), [f.B, f.B], f.Right));
        string left = Init(TensorData.FromFloats(graph.UniqueName(prefix + "/hadamard_a_t"), [f.A, f.A], f.LeftTransposed));
        string scaled = graph.UniqueName(prefix + "/scaled"), grid = graph.UniqueName(prefix + "/grid"), half = graph.UniqueName(prefix + "/half");
        string both = graph.UniqueName(prefix + "/both"), shape = graph.UniqueName(prefix + "/shape");
        var anchor = first.Node;
        return
        [
            graph.AddNodeBefore(anchor, OpTypes.Mul, [input, signs], [scaled], graph.UniqueName(prefix + "/mul")).Name,
            graph.AddNodeBefore(anchor, OpTypes.Reshape, [scaled, split], [grid], graph.UniqueName(prefix + "/reshape")).Name,
            graph.AddNodeBefore(anchor, OpTypes.MatMul, [grid, right], [half], graph.UniqueName(prefix + "/matmul_b")).Name,
            graph.AddNodeBefore(anchor, OpTypes.MatMul, [left, half], [both], graph.UniqueName(prefix + "/matmul_a")).Name,
            graph.AddNodeBefore(anchor, OpTypes.Shape, [input], [shape], graph.UniqueName(prefix + "/shape")).Name,
            graph.AddNodeBefore(anchor, OpTypes.Reshape, [both, shape], [output], graph.UniqueName(prefix)).Name,
        ];
    }

    private static bool IsMatrixOp(string opType) => OpCatalog.FindLayer(opType, "") is { Layer: LayerKind.MatMul or LayerKind.Gemm };

    private static EquivalenceLayer Skip(string node, string tensor, string reason) =>
        new(node, tensor, double.NaN, double.NaN, double.NaN, double.NaN, "", reason);

    private static StatisticsRunOptions RunOptions(EquivalenceContext context, string stage) => new()
    {
        Samples = Math.Min(context.Samples, MeasuredSamples),
        BatchSize = context.BatchSize,
        MemoryBudgetBytes = context.MemoryBudgetBytes,
        Progress = context.Progress,
        Stage = stage,
    };
}
