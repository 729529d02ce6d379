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
        foreach (var (input, readers) in groups)
        {
            int n = readers[0].Cols;
            var first = readers[0];
            string matrixName;
            float[] q;
            string setting;
            if (!klt && shared.TryGetValue(n, out var cached))
                (matrixName, q, setting) = cached;
            else
            {
                string? note;
                (q, setting, note) = RotationMatrices.Build(kind, n, context.Options.Seed, klt ? moments[input].Matrix : default);
                if (note is not null && !notes.Contains(note)) notes.Add(note);
                matrixName = graph.UniqueName(klt ? $"{first.Name}/rotation" : $"rotation/{setting.Replace(' ', '_')}");
                graph.SetInitializer(TensorData.FromFloats(matrixName, [n, n], q));
                if (!klt) shared[n] = (matrixName, q, setting);
            }
            string output = graph.UniqueName($"{input}/rotated");
            var node = graph.AddNodeBefore(first.Node, OpTypes.MatMul, [input, matrixName], [output], graph.UniqueName($"{first.Name}/rotate"));
            floatNodes.Add(node.Name);
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
        if (rotated.Count > 0)
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"{rotated.Count} input(s) rotated online: each is a float MatMul by a constant {string.Join("/", rotated.Select(r => channels[r.Input]).Distinct().Select(c => $"{c}×{c}"))} matrix, left out of quantization"));
        return new EquivalenceResult { Name = "rotate", Layers = rows, Notes = notes, FloatNodes = floatNodes };
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
