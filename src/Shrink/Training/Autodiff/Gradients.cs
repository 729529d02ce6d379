using Shrink.Model;
using Shrink.Ops;
using Shrink.Passes;

namespace Shrink.Training.Autodiff;

/// <summary>
/// Reverse-mode automatic differentiation from ONNX to ONNX: a model and a loss become a training graph whose outputs
/// are the loss and the gradients of chosen initializers, computed by ONNX nodes that ONNX Runtime runs like any model.
/// </summary>
/// <remarks>
/// The model is copied (never edited). The loss subgraph is appended; the chosen initializers become graph inputs; then
/// the nodes on a path from a parameter to the loss are visited in reverse topological order, and each one's op asks
/// its <see cref="IBackwardRule"/> (on the op's schema in <see cref="OpCatalog"/>) for the nodes that compute its input
/// gradients from its output gradients, seeded with 1 at the loss. Gradients reaching one value from several consumers
/// are summed with Add nodes. Integer values and shape computations (Shape, Size, comparisons, casts to integers) carry
/// no gradient. Forward values the backward reads are referenced, so the graph keeps every activation it needs alive for
/// the whole step, unless <c>recompute</c> asks for the cheap ones to be computed again where they are read. The default-domain opset
/// is raised to 17 when lower (Shape with start/end and ScatterElements with reduction from 16, LayerNormalization from
/// 17; no op changed meaning from 13 to 17), and a LayerNorm the export spelled out (ReduceMean/Sub/Pow/.../Div · γ + β)
/// is differentiated as one LayerNormalization (<see cref="LayerNormalizationFusion"/>: the same function, half the
/// backward work); models below opset 13 are refused, as the meaning of their Squeeze/Unsqueeze/Split/ReduceSum would change.
/// </remarks>
public static class Gradients
{
    private const long MinimumOpset = 13;
    private const long TrainingOpset = 17;

    // Ops whose outputs carry no gradient whatever their inputs: shapes, comparisons, logic, indices.
    private static readonly HashSet<string> NonDifferentiable = new(StringComparer.Ordinal)
    {
        OpTypes.Shape, OpTypes.Size, OpTypes.Equal, OpTypes.Greater, OpTypes.GreaterOrEqual, OpTypes.Less, OpTypes.LessOrEqual,
        OpTypes.Not, OpTypes.And, OpTypes.Or, OpTypes.NonZero, OpTypes.ArgMax, OpTypes.ArgMin, OpTypes.ConstantOfShape,
        OpTypes.Range, OpTypes.OneHot, OpTypes.Constant, OpTypes.Sign, OpTypes.Floor, OpTypes.Ceil, OpTypes.Round,
    };

    /// <summary>
    /// Builds the training graph of <paramref name="model"/> for <paramref name="loss"/> with respect to
    /// <paramref name="parameters"/> (float initializers). Refuses (ShrinkException) unknown or non-float parameters,
    /// opsets below 13, and nodes on a parameter-to-loss path whose op has no backward rule, naming them.
    /// </summary>
    /// <param name="model">The forward model (not modified).</param>
    /// <param name="loss">The loss appended to it.</param>
    /// <param name="parameters">The float initializers to differentiate.</param>
    /// <param name="stopGradient">
    /// Values of the model whose gradient is not propagated (like JAX's <c>stop_gradient</c>): each keeps its forward
    /// value but counts as a constant for differentiation, so nothing upstream gets a gradient through it. A parameter
    /// named here gets a zero gradient. Names that are not values of the model are refused.
    /// </param>
    /// <param name="recompute">
    /// Recompute cheap forward values (elementwise ops) where the backward pass reads them instead of keeping them alive
    /// through the step (<see cref="ActivationRecomputation"/>): less memory, the same values, the time of the repeated ops.
    /// </param>
    public static TrainingGraph Build(OnnxModel model, LossSpec loss, IReadOnlyList<string> parameters, IReadOnlyCollection<string>? stopGradient = null, bool recompute = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0) throw new ShrinkException($"{model.Name}: no parameters to differentiate; name at least one initializer.");
        long opset = model.OpsetVersion();
        if (opset < MinimumOpset)
            throw new ShrinkException($"{model.Name}: gradients need default-domain opset {MinimumOpset} or later (the model has {opset}).");
        var initial = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            var t = model.Graph.FindInitializer(p) ?? throw new ShrinkException($"{model.Name}: parameter '{p}' is not an initializer of the model.");
            if (t.Type != ElementType.Float) throw new ShrinkException($"{model.Name}: parameter '{p}' is {t.Type.OnnxName()}; only float initializers can be trained.");
            if (!initial.TryAdd(p, t.Clone())) throw new ShrinkException($"{model.Name}: parameter '{p}' is named twice.");
        }

        var stopped = new HashSet<string>(stopGradient ?? [], StringComparer.Ordinal);
        if (stopped.Count > 0)
        {
            var values = new HashSet<string>(model.Graph.Nodes.SelectMany(n => n.Outputs), StringComparer.Ordinal);
            values.UnionWith(model.Graph.Inputs.Select(i => i.Name));
            values.UnionWith(model.Graph.Initializers.Keys);
            foreach (var v in stopped)
                if (!values.Contains(v)) throw new ShrinkException($"{model.Name}: stop-gradient value '{v}' is not a value of the model.");
        }

        var copy = model.Clone();
        if (opset < TrainingOpset) copy.SetOpsetVersion("", TrainingOpset);
        if (copy.IrVersion < 8) copy.IrVersion = 8;
        var graph = copy.Graph;
        var inputs = graph.Inputs.Select(i => i.Name).ToArray();
        foreach (var p in parameters)
        {
            var t = initial[p];
            graph.RemoveInitializer(p);
            graph.AddGraphInput(new ValueInfo(p, ElementType.Float, t.Dims.Select(d => new Dimension(d, null)).ToArray()));
        }

        var writer = new ModelGraphWriter(graph, Math.Max(opset, TrainingOpset));
        var emitter = new GraphEmitter(writer, "grad");
        var lossGraph = loss.Append(copy, new GraphEmitter(writer, "loss"));
        // A LayerNorm spelled out op by op becomes one LayerNormalization: its backward is half the elementwise work.
        // (Values the loss reads have another reader, so they stay; stop-gradient values are kept by name.)
        new LayerNormalizationFusion(stopped).Apply(copy);
        var order = graph.TopologicalOrder();
        var ranks = RankInference.Infer(graph, order);
        var shapes = ShapeInference.Infer(graph, order, ranks);

        // Values that depend on a parameter through differentiable ops, and values the loss depends on.
        // Stop-gradient values never join: they are constants to differentiation.
        var dependent = new HashSet<string>(parameters.Where(p => !stopped.Contains(p)), StringComparer.Ordinal);
        foreach (var node in order)
        {
            if (!Differentiable(node) || !node.Inputs.Any(dependent.Contains)) continue;
            foreach (var o in node.Outputs) if (o.Length > 0 && !stopped.Contains(o)) dependent.Add(o);
        }
        var needed = new HashSet<string>(StringComparer.Ordinal) { lossGraph.Loss };
        for (int i = order.Count - 1; i >= 0; i--)
            if (order[i].Outputs.Any(needed.Contains))
                foreach (var input in order[i].Inputs) if (input.Length > 0) needed.Add(input);

        var contributions = new Dictionary<string, List<string>>(StringComparer.Ordinal)
        {
            [lossGraph.Loss] = [emitter.Scalar(1)],
        };
        var totals = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? Total(string value)
        {
            if (totals.TryGetValue(value, out var done)) return done;
            string? sum = null;
            if (contributions.TryGetValue(value, out var parts))
                foreach (var part in parts) sum = sum is null ? part : emitter.Add(sum, part);
            totals[value] = sum;
            return sum;
        }

        for (int i = order.Count - 1; i >= 0; i--)
        {
            var node = order[i];
            if (!Differentiable(node) || !node.Inputs.Any(dependent.Contains) || !node.Outputs.Any(o => needed.Contains(o) && dependent.Contains(o))) continue;
            var outputGradients = node.Outputs.Select(o => o.Length > 0 ? Total(o) : null).ToArray();
            if (outputGradients.All(g => g is null)) continue;
            var rule = OpCatalog.Find(node.OpType, node.Domain)?.Backward ?? throw NoRule(node);
            var ctx = new BackwardContext(new ForwardNode(graph, node), outputGradients, k => dependent.Contains(node.Inputs[k]), v => ranks.TryGetValue(v, out int r) ? r : null, emitter,
                v => shapes.GetValueOrDefault(v));
            var inputGradients = rule.Emit(ctx);
            for (int k = 0; k < node.Inputs.Count && k < inputGradients.Count; k++)
            {
                if (inputGradients[k] is not { } g || !ctx.NeedsGradient(k)) continue;
                string input = node.Inputs[k];
                if (!contributions.TryGetValue(input, out var list)) contributions[input] = list = [];
                list.Add(g);
            }
        }

        var recomputed = recompute ? ActivationRecomputation.Apply(graph, order) : [];
        var kept = KeptActivations(graph, order);
        graph.ClearGraphOutputs();
        string lossName = graph.UniqueName("loss");
        graph.AddNode(OpTypes.Identity, [lossGraph.Loss], [lossName], graph.UniqueName("loss/output"));
        graph.AddGraphOutput(new ValueInfo(lossName, ElementType.Float, []));
        var gradientOutputs = new List<string>(parameters.Count);
        var withoutGradient = new List<string>();
        foreach (var p in parameters)
        {
            string name = TrainingGraph.GradientName(p);
            string? total = Total(p);
            if (total is null) withoutGradient.Add(p);
            string source = total ?? emitter.ZerosLike(p);
            graph.AddNode(OpTypes.Identity, [source], [name], graph.UniqueName("grad/output"));
            graph.AddGraphOutput(new ValueInfo(name, ElementType.Float, initial[p].Dims.Select(d => new Dimension(d, null)).ToArray()));
            gradientOutputs.Add(name);
        }
        return new TrainingGraph
        {
            Model = copy,
            Inputs = inputs,
            Parameters = [.. parameters],
            LossInputs = lossGraph.Inputs,
            Loss = lossName,
            GradientOutputs = gradientOutputs,
            InitialValues = initial,
            WithoutGradient = withoutGradient,
            Recomputed = recomputed,
            KeptActivations = kept,
        };
    }

    /// <summary>The ops that have a backward rule, sorted (what the refusal lists).</summary>
    public static IReadOnlyList<string> OpsWithRules() =>
        [.. OpCatalog.All.Where(s => s.Backward is not null).Select(s => s.OpType).Order(StringComparer.Ordinal)];

    // The values computed by forward nodes (not Constant nodes) that a backward node reads, in forward order: what the
    // step keeps alive from the forward pass until the backward pass has read it.
    private static IReadOnlyList<string> KeptActivations(ModelGraph graph, IReadOnlyList<Node> forward)
    {
        var forwardNodes = new HashSet<Node>(forward, ReferenceEqualityComparer.Instance);
        var readByBackward = new HashSet<string>(graph.Nodes.Where(n => !forwardNodes.Contains(n)).SelectMany(n => n.Inputs), StringComparer.Ordinal);
        return [.. forward.Where(n => n.ConstantValue() is null).SelectMany(n => n.Outputs).Where(o => o.Length > 0 && readByBackward.Contains(o))];
    }

    private static bool Differentiable(Node node)
    {
        if (NonDifferentiable.Contains(node.OpType)) return false;
        return node.OpType != OpTypes.Cast || CastBackward.IsFloat(node.GetInt("to", 0));
    }

    private static ShrinkException NoRule(Node node) =>
        new($"No backward rule for op {node.OpType} (node '{node.DisplayName}'); rules exist for: {string.Join(", ", OpsWithRules())}.");
}
