using Shrink.Model;

namespace Shrink.Methods.Pruning.Dependency;

/// <summary>
/// The channel dependency graph of a model (after Torch-Pruning's DepGraph, on ONNX): every Conv/ConvTranspose/Gemm/MatMul
/// with a constant weight creates a group of output channels; the channels flow through BatchNormalization, elementwise
/// activations, pooling, Flatten/Reshape (as blocks of H·W positions) and Concat (as offset segments) to the weights that
/// read them; residual Add/Mul and Where (a masked_fill) tie the groups of their operands into one. A MatMul whose output a Reshape splits into
/// attention heads ([B, T, 3, H, dh] or [B, T, H, dh]) makes a group of heads instead of channels: the heads then flow
/// through Transpose, Split, Softmax and the two attention MatMuls (where q, k and v tie) back to the output projection.
/// Anything not proved safe (an unknown op, a grouped conv, a Reshape that mixes channels, a value that reaches a graph
/// output) leaves the groups involved alone, with the reason. Building the graph does not change the model.
/// </summary>
public sealed class ChannelDependencyGraph
{
    private static readonly HashSet<string> Unary = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Clip", "HardSwish", "HardSigmoid", "Elu", "Selu", "Celu", "Softplus",
        "Softsign", "Gelu", "Erf", "Mish", "ThresholdedRelu", "Identity", "Neg", "Abs", "Exp", "Sqrt", "Reciprocal", "Cast",
        "Floor", "Ceil", "Round", "Sin", "Cos", "Dropout",
    };

    private static readonly HashSet<string> Binary = new(StringComparer.Ordinal) { "Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean", "Pow", "Where" };

    private static readonly HashSet<string> Pooling = new(StringComparer.Ordinal)
    {
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "GlobalLpPool",
    };

    private static readonly HashSet<string> LinearReshape = new(StringComparer.Ordinal) { "Flatten", "Reshape", "Squeeze", "Unsqueeze" };

    private ChannelDependencyGraph(IReadOnlyList<ChannelGroup> groups, IReadOnlyList<ChannelTensorSlice> slices,
        IReadOnlyList<ChannelAttributeEdit> attributeEdits, IReadOnlyDictionary<string, ChannelLayout> layouts)
    {
        Groups = groups;
        Slices = slices;
        AttributeEdits = attributeEdits;
        Layouts = layouts;
    }

    /// <summary>All channel groups, prunable or not.</summary>
    public IReadOnlyList<ChannelGroup> Groups { get; }

    /// <summary>Every initializer axis that channel removal gathers.</summary>
    public IReadOnlyList<ChannelTensorSlice> Slices { get; }

    /// <summary>Attribute and shape-constant rewrites that channel removal needs.</summary>
    public IReadOnlyList<ChannelAttributeEdit> AttributeEdits { get; }

    /// <summary>The channel layout of every value that carries grouped channels.</summary>
    public IReadOnlyDictionary<string, ChannelLayout> Layouts { get; }

    /// <summary>
    /// Builds the graph of <paramref name="model"/>. <paramref name="shapes"/> are measured value shapes (any batch size;
    /// see <c>ValueShapeProbe</c>): Flatten/Reshape need them to prove that channels stay whole.
    /// </summary>
    public static ChannelDependencyGraph Build(OnnxModel model, IReadOnlyDictionary<string, long[]> shapes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(shapes);
        return new Builder(model.Graph, shapes).Run();
    }

    private sealed class RawGroup(int size)
    {
        public int Size { get; } = size;
        public int Parent { get; set; } = -1;
        public List<ChannelProducer> Producers { get; } = [];
        public List<ChannelConsumer> Consumers { get; } = [];
        public List<ChannelBatchNorm> BatchNorms { get; } = [];
        public List<string> Reasons { get; } = [];
        public int? HeadSize { get; set; }
    }

    private sealed class Builder(ModelGraph graph, IReadOnlyDictionary<string, long[]> shapes)
    {
        private readonly List<RawGroup> _groups = [];
        private readonly Dictionary<string, ChannelLayout> _layouts = new(StringComparer.Ordinal);
        private readonly List<ChannelTensorSlice> _slices = [];
        private readonly List<ChannelAttributeEdit> _edits = [];
        private readonly Dictionary<string, (Node Shape, ChannelLayout Layout)> _channelCountReads = new(StringComparer.Ordinal);

        public ChannelDependencyGraph Run()
        {
            foreach (var node in graph.TopologicalOrder()) Visit(node);
            // A Shape read of the channel count is fine only where the Reshape it feeds had that piece replaced.
            foreach (var (shapeRead, layout) in _channelCountReads.Values) Refuse(layout, $"Shape {shapeRead.DisplayName} reads the channel count");
            foreach (var output in graph.Outputs)
                if (_layouts.TryGetValue(output.Name, out var layout)) Refuse(layout, $"its channels reach graph output '{output.Name}'");
            CheckSharedInitializers();
            return Finish();
        }

        private int Find(int id)
        {
            while (_groups[id].Parent >= 0) id = _groups[id].Parent;
            return id;
        }

        private void Union(int a, int b, Node at)
        {
            a = Find(a);
            b = Find(b);
            if (a == b) return;
            var ga = _groups[a];
            var gb = _groups[b];
            if (ga.Size != gb.Size || ga.HeadSize != gb.HeadSize)
            {
                ga.Reasons.Add($"{at.DisplayName} ({at.OpType}) ties it to a group of {Unit(gb)}");
                gb.Reasons.Add($"{at.DisplayName} ({at.OpType}) ties it to a group of {Unit(ga)}");
                return;
            }
            gb.Parent = a;
            ga.Producers.AddRange(gb.Producers);
            ga.Consumers.AddRange(gb.Consumers);
            ga.BatchNorms.AddRange(gb.BatchNorms);
            ga.Reasons.AddRange(gb.Reasons);
        }

        private RawGroup Group(int id) => _groups[Find(id)];

        private static string Unit(RawGroup g) => g.HeadSize is int dh ? $"{g.Size} heads × {dh}" : $"{g.Size} channels";

        private int NewGroup(int size)
        {
            _groups.Add(new RawGroup(size));
            return _groups.Count - 1;
        }

        private void Refuse(ChannelLayout layout, string reason)
        {
            foreach (var s in layout.Segments)
            {
                var g = Group(s.GroupId);
                if (!g.Reasons.Contains(reason)) g.Reasons.Add(reason);
            }
        }

        private void RefuseInputs(Node node, string reason)
        {
            foreach (var input in node.Inputs)
                if (_layouts.TryGetValue(input, out var layout)) Refuse(layout, reason);
        }

        private ChannelLayout? LayoutOf(Node node, int input) =>
            node.Inputs.Count > input && _layouts.TryGetValue(node.Inputs[input], out var l) ? l : null;

        private long[]? ShapeOf(string value) =>
            shapes.TryGetValue(value, out var s) ? s : graph.FindInitializer(value)?.Dims.ToArray();

        private void Visit(Node node)
        {
            bool defaultDomain = node.Domain.Length == 0 || node.Domain == "ai.onnx";
            bool anyLayout = node.Inputs.Any(_layouts.ContainsKey);
            string op = node.OpType;
            if (!defaultDomain)
            {
                if (anyLayout) RefuseInputs(node, $"unsupported op {node.Domain}.{op} at {node.DisplayName}");
                return;
            }
            switch (op)
            {
                case "Conv": VisitConv(node); return;
                case "ConvTranspose": VisitConvTranspose(node); return;
                case "Gemm": VisitGemm(node); return;
                case "MatMul": VisitMatMul(node); return;
            }
            if (!anyLayout) return;
            if (node.HasSubgraph)
            {
                RefuseInputs(node, $"{op} {node.DisplayName} reads the channels inside a subgraph");
                return;
            }
            if (Unary.Contains(op)) VisitUnary(node);
            else if (Binary.Contains(op)) VisitElementwise(node);
            else if (op == "BatchNormalization") VisitBatchNorm(node);
            else if (Pooling.Contains(op)) VisitPooling(node);
            else if (LinearReshape.Contains(op)) VisitReshape(node);
            else if (op == "Transpose") VisitTranspose(node);
            else if (op == "Concat") VisitConcat(node);
            else if (op == "Split") VisitSplit(node);
            else if (op == "Gather") VisitGather(node);
            else if (op == "Slice") VisitSlice(node);
            else if (op is "Softmax" or "LogSoftmax") VisitSoftmax(node);
            else if (op == "Shape") VisitShape(node);
            else RefuseInputs(node, $"unsupported op {op} at {node.DisplayName}");
        }

        private void VisitUnary(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            // Extra outputs (Dropout's mask) or extra computed inputs are not understood.
            if (node.Outputs.Skip(1).Any(o => o.Length > 0 && graph.Consumers(o).Count > 0 || graph.IsGraphOutput(o)))
            {
                RefuseInputs(node, $"{node.OpType} {node.DisplayName} has a second output in use");
                return;
            }
            for (int i = 1; i < node.Inputs.Count; i++)
            {
                string input = node.Inputs[i];
                if (input.Length == 0) continue;
                if (graph.FindInitializer(input) is { } constant)
                {
                    if (node.OpType == "PRelu" && !SliceConstant(node, constant, layout)) return;
                    if (node.OpType != "PRelu" && constant.ElementCount != 1)
                    {
                        RefuseInputs(node, $"{node.OpType} {node.DisplayName} has a non-scalar parameter '{input}'");
                        return;
                    }
                }
                else
                {
                    RefuseInputs(node, $"{node.OpType} {node.DisplayName} has a computed parameter '{input}'");
                    return;
                }
            }
            _layouts[node.Outputs[0]] = layout;
        }

        /// <summary>Records a per-channel constant operand; false (after refusing) when it broadcasts in a way we cannot slice.</summary>
        private bool SliceConstant(Node node, TensorData constant, ChannelLayout layout)
        {
            int rank = constant.Dims.Count;
            int axis = layout.Axis - (layout.Rank - rank);
            if (axis < 0 || constant.Dims[axis] == 1) return true;
            if (constant.Dims[axis] != layout.Extent)
            {
                Refuse(layout, $"{node.OpType} {node.DisplayName}: constant '{constant.Name}' does not broadcast per channel");
                return false;
            }
            _slices.Add(new ChannelTensorSlice(constant.Name, axis, layout, node, "parameter"));
            return true;
        }

        private void VisitElementwise(Node node)
        {
            ChannelLayout? first = null;
            var computed = new List<ChannelLayout>();
            var untracked = new List<string>();
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                string input = node.Inputs[i];
                if (input.Length == 0 || graph.FindInitializer(input) is not null) continue;
                if (!_layouts.TryGetValue(input, out var layout))
                {
                    untracked.Add(input);
                    continue;
                }
                computed.Add(layout);
                first ??= layout;
            }
            if (first is null) return;
            foreach (var input in untracked)
            {
                // A computed operand without channels is fine when it is a scalar or, for an elementwise op, broadcasts
                // along the channel axis (an attention mask [B, 1, 1, T] over the heads): every channel meets the same values.
                // A graph input's shape is not measured; its declared shape (symbolic dims as -1) is enough to see a broadcast.
                var shape = ShapeOf(input) ?? DeclaredInputShape(input);
                bool scalar = shape is not null && shape.All(d => d >= 0) && shape.Aggregate(1L, (a, b) => a * b) == 1;
                if (shape is not null && (scalar || (node.OpType != "Concat" && BroadcastsOverChannels(shape, first))))
                    continue;
                RefuseInputs(node, $"{node.OpType} {node.DisplayName} mixes the channels with '{input}', whose channels are not tracked");
                return;
            }
            foreach (var other in computed.Skip(1))
            {
                if (!first.SameShape(other))
                {
                    RefuseInputs(node, $"{node.OpType} {node.DisplayName} combines channel layouts that do not line up");
                    return;
                }
            }
            foreach (var other in computed.Skip(1))
                for (int s = 0; s < first.Segments.Count; s++) Union(first.Segments[s].GroupId, other.Segments[s].GroupId, node);
            foreach (var input in node.Inputs)
                if (input.Length > 0 && graph.FindInitializer(input) is { } constant && !SliceConstant(node, constant, first)) return;
            _layouts[node.Outputs[0]] = first;
        }

        /// <summary>The declared shape of a graph input, symbolic or unknown dims as -1; null when it is not a graph input with a shape.</summary>
        private long[]? DeclaredInputShape(string value) =>
            graph.Inputs.FirstOrDefault(i => i.Name == value)?.Shape?.Select(d => d.Value ?? -1).ToArray();

        private static bool BroadcastsOverChannels(long[] shape, ChannelLayout layout)
        {
            int axis = layout.Axis - (layout.Rank - shape.Length);
            return shape.Length <= layout.Rank && (axis < 0 || shape[axis] == 1);
        }

        private void VisitBatchNorm(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            if (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1 || node.Outputs.Skip(1).Any(o => o.Length > 0))
            {
                RefuseInputs(node, $"BatchNormalization {node.DisplayName} is not an inference-mode BN over axis 1");
                return;
            }
            for (int i = 1; i <= 4; i++)
            {
                if (node.Inputs.Count <= i || graph.FindInitializer(node.Inputs[i]) is null)
                {
                    RefuseInputs(node, $"BatchNormalization {node.DisplayName} has computed parameters");
                    return;
                }
            }
            for (int i = 1; i <= 4; i++) _slices.Add(new ChannelTensorSlice(node.Inputs[i], 0, layout, node, "parameter"));
            int offset = 0;
            foreach (var s in layout.Segments)
            {
                Group(s.GroupId).BatchNorms.Add(new ChannelBatchNorm(node, node.Inputs[1], offset));
                offset += s.Count;
            }
            _layouts[node.Outputs[0]] = layout;
        }

        private void VisitPooling(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            if (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1 || node.Outputs.Skip(1).Any(o => o.Length > 0))
            {
                RefuseInputs(node, $"{node.OpType} {node.DisplayName} pools a value whose channels are not on axis 1");
                return;
            }
            _layouts[node.Outputs[0]] = layout;
        }

        private void VisitTranspose(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            var perm = node.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, layout.Rank).Reverse().ToArray();
            int axis = Array.IndexOf(perm, layout.Axis);
            if (layout.Block != 1 || layout.Repeats != 1 || axis < 0)
            {
                RefuseInputs(node, $"Transpose {node.DisplayName} splits flattened channels");
                return;
            }
            _layouts[node.Outputs[0]] = layout with { Axis = axis };
        }

        /// <summary>Flatten, Reshape, Squeeze, Unsqueeze: the data order is unchanged, so channels stay whole when some output axis starts at the same outer index.</summary>
        private void VisitReshape(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            var inShape = ShapeOf(node.Inputs[0]);
            var outShape = ShapeOf(node.Outputs[0]);
            string refusal = $"{node.OpType} {node.DisplayName} mixes channels (shape unknown or channel axis split)";
            if (inShape is null || outShape is null || inShape.Length != layout.Rank)
            {
                RefuseInputs(node, refusal);
                return;
            }
            long outer = 1;
            for (int i = 0; i < layout.Axis; i++) outer *= inShape[i];
            long perChannel = layout.Block;
            for (int i = layout.Axis + 1; i < inShape.Length; i++) perChannel *= inShape[i];
            int channels = layout.Channels;
            // A fused projection's repeats either move onto outer axes of their own ([B, T, 3·H·dh] → [B, T, 3, H, dh])
            // or stay inside the channel axis.
            foreach (int repeats in layout.Repeats == 1 ? new[] { 1 } : new[] { 1, layout.Repeats })
            {
                long before = outer * (layout.Repeats / repeats);
                long run = (long)channels * repeats;
                long prefix = 1;
                for (int j = 0; j < outShape.Length; j++)
                {
                    if (prefix == before && outShape[j] >= run && outShape[j] % run == 0)
                    {
                        long block = outShape[j] / run;
                        long inner = 1;
                        for (int i = j + 1; i < outShape.Length; i++) inner *= outShape[i];
                        if (block * inner == perChannel)
                        {
                            if (MayFoldBatch(node, inShape.AsSpan(0, layout.Axis), outShape.AsSpan(0, j)))
                            {
                                RefuseInputs(node, $"{node.OpType} {node.DisplayName} may fold a size-1 axis before the channels (the batch, measured at 1) into the channel axis");
                                return;
                            }
                            var outLayout = new ChannelLayout(layout.Segments, j, outShape.Length, block, repeats);
                            if (node.OpType == "Reshape" && !PlanShapeEdit(node, layout, outLayout)) return;
                            _layouts[node.Outputs[0]] = outLayout;
                            return;
                        }
                    }
                    prefix *= outShape[j];
                    if (prefix > before) break;
                }
            }
            RefuseInputs(node, refusal);
        }

        /// <summary>
        /// Shapes are measured at batch 1, so a Reshape from [1, H, T, dh] to [H, T, dh] cannot be told from one to [B·H, T, dh]
        /// (Hugging Face's BART, CLIP, Whisper; torch.nn.MultiheadAttention): heads folded with the batch. When the shape is
        /// computed (or a Flatten), fewer size-1 axes right before the channels in the output than in the input may be such a
        /// fold (only axes next to the channel axis can merge into it; GPT-2's [1, T, D] to [T, D] folds the batch into T).
        /// </summary>
        private bool MayFoldBatch(Node node, ReadOnlySpan<long> outerIn, ReadOnlySpan<long> outerOut)
        {
            bool computed = node.OpType == "Flatten" || (node.OpType == "Reshape" && node.Inputs.Count > 1 && graph.FindInitializer(node.Inputs[1]) is null);
            return computed && TrailingOnes(outerIn) > TrailingOnes(outerOut);
        }

        private static int TrailingOnes(ReadOnlySpan<long> dims)
        {
            int count = 0;
            for (int i = dims.Length - 1; i >= 0 && dims[i] == 1; i--) count++;
            return count;
        }

        private bool PlanShapeEdit(Node node, ChannelLayout layout, ChannelLayout outLayout)
        {
            int index = outLayout.Axis;
            if (node.Inputs.Count > 1 && graph.FindInitializer(node.Inputs[1]) is null) return PlanShapeConcatEdit(node, layout, outLayout);
            var shape = node.Inputs.Count > 1 ? graph.FindInitializer(node.Inputs[1]) : null;
            if (shape is null || shape.Type != ElementType.Int64 || shape.Dims.Count != 1 || shape.ElementCount <= index)
            {
                RefuseInputs(node, $"Reshape {node.DisplayName} takes a computed shape");
                return false;
            }
            long entry = shape.AsSpan<long>()[index];
            if (entry == -1) return true;
            if (entry == 0 && !CopiesChannelAxis(layout, outLayout))
            {
                RefuseInputs(node, $"Reshape {node.DisplayName} copies a dimension that is not the channel axis");
                return false;
            }
            if (entry == 0) return true;
            _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.ReshapeShape, node, outLayout, shape.Name, index));
            return true;
        }

        private static bool CopiesChannelAxis(ChannelLayout layout, ChannelLayout outLayout) =>
            outLayout.Axis == layout.Axis && outLayout.Block == layout.Block && outLayout.Repeats == layout.Repeats;

        /// <summary>
        /// A shape computed by a Concat of pieces (PyTorch's <c>x.reshape(B, T, H, dh)</c>: B and T read by Shape/Gather
        /// or a Slice of the Shape, H a constant, dh maybe computed): the piece holding the channel entry is replaced by a
        /// new constant. A constant piece may hold several entries; a computed one must be that entry alone, and is
        /// replaced only when the entry is fixed by the weights (block 1, or a head's dh), not by the input's spatial size.
        /// </summary>
        private bool PlanShapeConcatEdit(Node node, ChannelLayout layout, ChannelLayout outLayout)
        {
            var concat = graph.Producer(node.Inputs[1]);
            if (concat is not { OpType: "Concat" } || graph.Consumers(concat.Outputs[0]).Count != 1 || graph.IsGraphOutput(concat.Outputs[0]))
            {
                RefuseInputs(node, $"Reshape {node.DisplayName} takes a computed shape that is not a Concat read only by it");
                return false;
            }
            int position = 0;
            for (int i = 0; i < concat.Inputs.Count && position <= outLayout.Axis; i++)
            {
                var length = ShapeOf(concat.Inputs[i]);
                if (length is null || length.Length != 1)
                    break;
                int element = outLayout.Axis - position;
                var constant = graph.FindInitializer(concat.Inputs[i]);
                if (element < length[0] && (length[0] == 1 || constant is { Type: ElementType.Int64 }))
                {
                    long? entry = constant is { Type: ElementType.Int64 } ? constant.AsSpan<long>()[element] : null;
                    if (entry == -1 || (entry == 0 && CopiesChannelAxis(layout, outLayout))) return true;
                    bool fixedByWeights = outLayout.Block == 1 || outLayout.Segments.All(s => Group(s.GroupId).HeadSize == outLayout.Block);
                    if (entry == 0 || (constant is null && !fixedByWeights))
                    {
                        RefuseInputs(node, $"Reshape {node.DisplayName}: shape entry {outLayout.Axis} (input {i} of {concat.DisplayName}) may not be kept channels × block");
                        return false;
                    }
                    _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.ShapeConcatInput, concat, outLayout, constant?.Name, i, element));
                    _channelCountReads.Remove(concat.Inputs[i]);
                    return true;
                }
                position += (int)length[0];
            }
            RefuseInputs(node, $"Reshape {node.DisplayName}: {concat.DisplayName} does not build shape entry {outLayout.Axis} as a piece of its own");
            return false;
        }

        private void VisitConcat(Node node)
        {
            var layouts = node.Inputs.Select(i => _layouts.GetValueOrDefault(i)).ToList();
            var first = layouts.First(l => l is not null)!;
            int axis = (int)node.GetInt("axis", 0);
            if (axis < 0) axis += first.Rank;
            if (axis != first.Axis)
            {
                // Concatenating along another axis ties the inputs channel by channel, as an elementwise op does.
                VisitElementwise(node);
                return;
            }
            if (layouts.Any(l => l is null || l.Block != first.Block || l.Rank != first.Rank || l.Axis != first.Axis || l.Repeats != 1))
            {
                RefuseInputs(node, $"Concat {node.DisplayName} joins values whose channels are not all tracked");
                return;
            }
            _layouts[node.Outputs[0]] = first with { Segments = layouts.SelectMany(l => l!.Segments).ToArray() };
        }

        /// <summary>
        /// Split along another axis than the channels' (q, k, v out of a fused projection's [.., 3, H, dh]): every part keeps
        /// the channels. A Split of the channel axis is understood only into the runs of a fused projection (nanoGPT's
        /// <c>qkv.split(D, dim=2)</c>), whose sizes are then rewritten.
        /// </summary>
        private void VisitSplit(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            int axis = (int)node.GetInt("axis", 0);
            if (axis < 0) axis += layout.Rank;
            if (axis == layout.Axis && layout.Repeats > 1 && node.Outputs.Count == layout.Repeats && node.Outputs.All(o => o.Length > 0)
                && EqualSplit(node, layout.Extent / layout.Repeats))
            {
                // A fused projection's [q | k | v] runs, one per output: each part holds every head.
                var part = layout with { Repeats = 1 };
                if (node.Inputs.Count > 1 && node.Inputs[1].Length > 0)
                    _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.SplitSizes, node, part, node.Inputs[1], 1));
                foreach (var output in node.Outputs) _layouts[output] = part;
                return;
            }
            if (axis == layout.Axis)
            {
                RefuseInputs(node, $"Split {node.DisplayName} splits the channel axis");
                return;
            }
            foreach (var output in node.Outputs)
                if (output.Length > 0) _layouts[output] = layout;
        }

        /// <summary>
        /// Slice along other axes than the channels' (a ViT's <c>x[:, 1:]</c>): the channels stay whole, whatever the bounds.
        /// The sliced axes must be constant; a Slice of the channel axis (torch.nn.MultiheadAttention's chunk of its packed
        /// q,k,v projection) is refused.
        /// </summary>
        private void VisitSlice(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            if (node.Inputs.Skip(1).Any(_layouts.ContainsKey))
            {
                RefuseInputs(node, $"Slice {node.DisplayName} takes its bounds from the channels");
                return;
            }
            IReadOnlyList<long>? axes;
            if (node.Inputs.Count == 1) axes = node.GetInts("axes") ?? (node.GetInts("starts") is { } starts ? Enumerable.Range(0, starts.Count).Select(i => (long)i).ToArray() : null);
            else if (node.Inputs.Count > 3 && node.Inputs[3].Length > 0) axes = graph.FindInitializer(node.Inputs[3]) is { Type: ElementType.Int64 or ElementType.Int32 } t ? AsLongs(t) : null;
            else axes = ShapeOf(node.Inputs[1]) is [long count] ? Enumerable.Range(0, (int)count).Select(i => (long)i).ToArray() : null;
            if (axes is null)
            {
                RefuseInputs(node, $"Slice {node.DisplayName} takes computed axes");
                return;
            }
            if (axes.Any(a => (a < 0 ? a + layout.Rank : a) == layout.Axis))
            {
                RefuseInputs(node, $"Slice {node.DisplayName} slices the channel axis {layout.Axis}");
                return;
            }
            _layouts[node.Outputs[0]] = layout;
        }

        private static long[] AsLongs(TensorData t) => t.Type == ElementType.Int64 ? t.AsSpan<long>().ToArray() : t.AsSpan<int>().ToArray().Select(i => (long)i).ToArray();

        /// <summary>Gather of constant indices along another axis than the channels' (<c>qkv[0]</c>): the channels stay whole, on a shifted axis.</summary>
        private void VisitGather(Node node)
        {
            var layout = LayoutOf(node, 0);
            var indices = node.Inputs.Count > 1 ? graph.FindInitializer(node.Inputs[1]) : null;
            int axis = (int)node.GetInt("axis", 0);
            if (layout is not null && axis < 0) axis += layout.Rank;
            if (layout is null || indices is null || axis == layout.Axis)
            {
                RefuseInputs(node, $"Gather {node.DisplayName} picks channels or takes computed indices");
                return;
            }
            int rank = layout.Rank - 1 + indices.Dims.Count;
            _layouts[node.Outputs[0]] = layout with { Axis = layout.Axis < axis ? layout.Axis : layout.Axis - 1 + indices.Dims.Count, Rank = rank };
        }

        /// <summary>
        /// Shape of a value with channels, read only for its other dims (Hugging Face's <c>x.size()[:-1] + (H, dh)</c>: a
        /// Slice that ends before the channel axis, or a Gather of B or T): removing channels does not change what is read.
        /// </summary>
        private void VisitShape(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            string shape = node.Outputs[0];
            var pieces = new List<string>();
            if (!node.HasAttribute("start") && !node.HasAttribute("end") && !graph.IsGraphOutput(shape)
                && graph.Consumers(shape).All(r => ReadsOtherDims(r, shape, layout) || ReadsChannelCountInto(r, node, layout, pieces)))
            {
                // Held until the Reshape's visit: its edit must replace exactly these pieces.
                foreach (var piece in pieces) _channelCountReads[piece] = (node, layout);
                return;
            }
            RefuseInputs(node, $"Shape {node.DisplayName} reads the channel count");
        }

        /// <summary>
        /// A Gather or Slice of the channel entry alone whose value (through Squeeze/Unsqueeze/Cast) is one piece of the Concat
        /// that computes the shape of a Reshape of the same value (GPT-2's <c>x.view(-1, x.size(-1))</c>): the piece is added
        /// to <paramref name="pieces"/>, to be replaced by the Reshape's edit.
        /// </summary>
        private bool ReadsChannelCountInto(Node reader, Node shapeNode, ChannelLayout layout, List<string> pieces)
        {
            string shape = shapeNode.Outputs[0];
            if (reader.Inputs[0] != shape || reader.Inputs.Skip(1).Contains(shape) || layout.Repeats != 1) return false;
            long[]? Constant(int input) => reader.Inputs.Count > input && reader.Inputs[input].Length > 0
                && graph.FindInitializer(reader.Inputs[input]) is { Type: ElementType.Int64 } t ? t.AsSpan<long>().ToArray() : null;
            long Normalized(long index) => Math.Clamp(index < 0 ? index + layout.Rank : index, 0, layout.Rank);
            bool channelEntry = reader.OpType switch
            {
                "Gather" => Constant(1) is [long index] && Normalized(index) == layout.Axis,
                "Slice" => Constant(1) is [long start] && Constant(2) is [long end] && (reader.Inputs.Count <= 3 || Constant(3) is [0])
                    && (reader.Inputs.Count <= 4 || Constant(4) is [1]) && Normalized(start) == layout.Axis && Normalized(end) == layout.Axis + 1,
                _ => false,
            };
            if (!channelEntry) return false;
            string value = reader.Outputs[0];
            for (int hops = 0; hops < 4; hops++)
            {
                var readers = graph.Consumers(value);
                if (readers.Count != 1 || graph.IsGraphOutput(value)) return false;
                var next = readers[0];
                if (next.OpType is "Squeeze" or "Unsqueeze" or "Cast" && next.Inputs[0] == value)
                {
                    value = next.Outputs[0];
                    continue;
                }
                if (next.OpType != "Concat" || next.GetInt("axis", 0) != 0 || graph.IsGraphOutput(next.Outputs[0])) return false;
                var shapeReaders = graph.Consumers(next.Outputs[0]);
                if (shapeReaders is not [{ OpType: "Reshape" } reshape] || reshape.Inputs[0] != shapeNode.Inputs[0] || reshape.Inputs[1] != next.Outputs[0])
                    return false;
                pieces.Add(value);
                return true;
            }
            return false;
        }

        private bool ReadsOtherDims(Node reader, string shape, ChannelLayout layout)
        {
            if (reader.Inputs[0] != shape || reader.Inputs.Skip(1).Contains(shape)) return false;
            long[]? Constant(int input) => reader.Inputs.Count > input && reader.Inputs[input].Length > 0
                && graph.FindInitializer(reader.Inputs[input]) is { Type: ElementType.Int64 } t ? t.AsSpan<long>().ToArray() : null;
            bool Absent(int input) => reader.Inputs.Count <= input || reader.Inputs[input].Length == 0;
            long Normalized(long index) => Math.Clamp(index < 0 ? index + layout.Rank : index, 0, layout.Rank);
            switch (reader.OpType)
            {
                case "Gather":
                    return Constant(1) is { } indices && indices.All(i => Normalized(i) != layout.Axis);
                case "Slice":
                    if (Constant(1) is not [long start] || Constant(2) is not [long end]) return false;
                    if (!(Absent(3) || Constant(3) is [0]) || !(Absent(4) || Constant(4) is [1])) return false;
                    return Normalized(end) <= layout.Axis || Normalized(start) > layout.Axis;
                default:
                    return false;
            }
        }

        /// <summary>
        /// Softmax normalizes along its axis (before opset 13: over every axis from it on, the default being 1), so channels
        /// on an earlier axis (attention heads) stay independent.
        /// </summary>
        private void VisitSoftmax(Node node)
        {
            var layout = LayoutOf(node, 0);
            if (layout is null) return;
            int axis = (int)node.GetInt("axis", 1);
            if (axis < 0) axis += layout.Rank;
            if (layout.Axis >= axis)
            {
                RefuseInputs(node, $"{node.OpType} {node.DisplayName} normalizes across the channels");
                return;
            }
            _layouts[node.Outputs[0]] = layout;
        }

        /// <summary>
        /// A MatMul of two computed values (attention's q·kᵀ and softmax·v) broadcasts over the axes before its last two, so
        /// channels (heads) on such an axis stay whole; the operands' groups are tied (q with k, the attention with v). An
        /// operand without tracked channels must broadcast along that axis.
        /// </summary>
        private void VisitBatchedMatMul(Node node)
        {
            var a = LayoutOf(node, 0);
            var b = LayoutOf(node, 1);
            if (a is null && b is null) return;
            var shapesIn = new[] { ShapeOf(node.Inputs[0]), ShapeOf(node.Inputs[1]) };
            var outShape = ShapeOf(node.Outputs[0]);
            string refusal = $"MatMul {node.DisplayName} multiplies two computed values along the channel axis";
            if (outShape is null || shapesIn.Any(s => s is null || s.Length < 3))
            {
                RefuseInputs(node, refusal);
                return;
            }
            int rank = outShape.Length;
            int axis = -1;
            foreach (var (layout, shape) in new[] { (a, shapesIn[0]!), (b, shapesIn[1]!) })
            {
                if (layout is null) continue;
                int aligned = layout.Axis + rank - shape.Length;
                if (layout.Block != 1 || layout.Repeats != 1 || layout.Axis >= shape.Length - 2 || (axis >= 0 && aligned != axis))
                {
                    RefuseInputs(node, refusal);
                    return;
                }
                axis = aligned;
            }
            foreach (var (layout, shape) in new[] { (a, shapesIn[0]!), (b, shapesIn[1]!) })
            {
                int own = axis - (rank - shape.Length);
                if (layout is null && own >= 0 && shape[own] != 1)
                {
                    RefuseInputs(node, $"MatMul {node.DisplayName} mixes the channels with an operand whose channels are not tracked");
                    return;
                }
            }
            if (a is not null && b is not null)
            {
                if (a.Segments.Count != b.Segments.Count || a.Segments.Zip(b.Segments).Any(p => p.First.Count != p.Second.Count))
                {
                    RefuseInputs(node, $"MatMul {node.DisplayName} combines channel layouts that do not line up");
                    return;
                }
                for (int s = 0; s < a.Segments.Count; s++) Union(a.Segments[s].GroupId, b.Segments[s].GroupId, node);
            }
            _layouts[node.Outputs[0]] = (a ?? b)! with { Axis = axis, Rank = rank };
        }

        /// <summary>
        /// The attention-head structure of a projection's output when it is recognizable: the output (after an optional
        /// constant bias Add, then an optional Mul or Div by a scalar constant) is read only by a Reshape that splits its last axis into [P, H, dh] (fused q,k,v: P = 3) or
        /// [H, dh] (Shape nodes may read it too, for B and T). The heads then become the group's units; that they stay whole
        /// downstream is proved like any channel's.
        /// </summary>
        private (int Heads, int HeadSize, int Parts)? HeadSplitOf(Node node, long columns)
        {
            string value = node.Outputs[0];
            var reader = SoleReader(value);
            if (reader is { OpType: "Add" } add && add.Inputs.Count == 2
                && add.Inputs.Count(i => graph.FindInitializer(i) is { } bias && bias.ElementCount == columns) == 1)
            {
                value = add.Outputs[0];
                reader = SoleReader(value);
            }
            // Hugging Face's BART, CLIP and Whisper scale q before splitting it: q_proj(x) * scaling.
            if (reader is { OpType: "Mul" or "Div" } scale && scale.Inputs.Count == 2 && scale.Inputs[0] == value
                && graph.FindInitializer(scale.Inputs[1]) is { ElementCount: 1 } || reader is { OpType: "Mul" } mul && mul.Inputs.Count == 2
                && mul.Inputs[1] == value && graph.FindInitializer(mul.Inputs[0]) is { ElementCount: 1 })
            {
                value = reader.Outputs[0];
                reader = SoleReader(value);
            }
            // Hugging Face GPT-2's Conv1D runs over the flattened tokens: [B·T, 3·D] is reshaped back to [B, T, 3·D] first.
            if (reader is { OpType: "Reshape" } lift && lift.Inputs[0] == value && ShapeOf(value) is { Length: > 0 } flat
                && ShapeOf(lift.Outputs[0]) is { Length: > 0 } lifted && flat[^1] == columns && lifted[^1] == columns && lifted.Length > flat.Length
                && SoleReader(lift.Outputs[0]) is { OpType: "Split" or "Reshape" } next && next.Inputs[0] == lift.Outputs[0])
            {
                value = lift.Outputs[0];
                reader = next;
            }
            if (reader is { OpType: "Split" } split) return FusedSplitIntoHeads(split, value, columns);
            return ReshapeIntoHeads(value, reader, columns);
        }

        /// <summary>The heads of <paramref name="value"/> when <paramref name="reader"/> reshapes its last axis into [P, H, dh] or [H, dh].</summary>
        private (int Heads, int HeadSize, int Parts)? ReshapeIntoHeads(string value, Node? reader, long columns)
        {
            if (reader is not { OpType: "Reshape" } reshape || reshape.Inputs[0] != value) return null;
            var inShape = ShapeOf(value);
            var outShape = ShapeOf(reshape.Outputs[0]);
            if (inShape is not { Length: > 0 } || outShape is null || inShape[^1] != columns) return null;
            int lead = inShape.Length - 1;
            int tail = outShape.Length - lead;
            if (tail is not (2 or 3) || !inShape.AsSpan(0, lead).SequenceEqual(outShape.AsSpan(0, lead))) return null;
            long parts = tail == 3 ? outShape[lead] : 1, heads = outShape[^2], headSize = outShape[^1];
            if (heads < 2 || headSize < 2 || parts < 1 || parts * heads * headSize != columns) return null;
            return ((int)heads, (int)headSize, (int)parts);
        }

        /// <summary>
        /// nanoGPT's <c>q, k, v = self.c_attn(x).split(D, dim=2)</c>: a Split of the last axis into P equal parts, each
        /// reshaped into the same [.., H, dh]. Head h then owns dh positions in each part, as in a fused [.., 3, H, dh].
        /// </summary>
        private (int Heads, int HeadSize, int Parts)? FusedSplitIntoHeads(Node split, string value, long columns)
        {
            var shape = ShapeOf(value);
            int parts = split.Outputs.Count;
            if (shape is not { Length: > 0 } || split.Inputs[0] != value || parts < 2 || columns % parts != 0) return null;
            long axis = split.GetInt("axis", 0);
            if (axis < 0) axis += shape.Length;
            if (axis != shape.Length - 1 || !EqualSplit(split, columns / parts)) return null;
            (int Heads, int HeadSize, int Parts)? found = null;
            foreach (var output in split.Outputs)
            {
                if (output.Length == 0 || ReshapeIntoHeads(output, SoleReader(output), columns / parts) is not { Parts: 1 } each
                    || (found is { } f && (f.Heads, f.HeadSize) != (each.Heads, each.HeadSize)))
                    return null;
                found = (each.Heads, each.HeadSize, parts);
            }
            return found;
        }

        /// <summary>Whether a Split makes parts of <paramref name="width"/> each: constant sizes all equal to it, or no sizes (equal parts).</summary>
        private bool EqualSplit(Node split, long width)
        {
            if (split.Inputs.Count > 1 && split.Inputs[1].Length > 0)
                return graph.FindInitializer(split.Inputs[1]) is { Type: ElementType.Int64 } sizes && sizes.AsSpan<long>().ToArray().All(w => w == width);
            return !split.HasAttribute("split");
        }

        /// <summary>The one node other than Shape that reads <paramref name="value"/>, if there is exactly one.</summary>
        private Node? SoleReader(string value)
        {
            var readers = graph.Consumers(value).Where(r => r.OpType != "Shape").ToList();
            return readers.Count == 1 && !graph.IsGraphOutput(value) ? readers[0] : null;
        }

        private void AddConsumer(Node node, string weight, int axis, ChannelLayout layout, string input)
        {
            _slices.Add(new ChannelTensorSlice(weight, axis, layout, node, "input"));
            int offset = 0;
            foreach (var s in layout.Segments)
            {
                Group(s.GroupId).Consumers.Add(new ChannelConsumer(node, weight, axis, offset, layout.Block, input, layout.Axis));
                offset += s.Count;
            }
        }

        private void AddProducer(Node node, TensorData weight, int axis, int rank, string? bias, int biasAxis, (int Heads, int HeadSize, int Parts)? heads = null)
        {
            int size = heads?.Heads ?? (int)weight.Dims[axis];
            int id = NewGroup(size);
            var layout = ChannelLayout.Single(id, size, rank == 2 || node.OpType is "Conv" or "ConvTranspose" ? 1 : rank - 1, rank);
            if (heads is { } h)
            {
                layout = layout with { Block = h.HeadSize, Repeats = h.Parts };
                _groups[id].HeadSize = h.HeadSize;
            }
            _groups[id].Producers.Add(new ChannelProducer(node, weight.Name, axis, node.Outputs[0], layout.Block, layout.Repeats));
            _slices.Add(new ChannelTensorSlice(weight.Name, axis, layout, node, "output"));
            if (bias is not null) _slices.Add(new ChannelTensorSlice(bias, biasAxis, layout, node, "bias"));
            _layouts[node.Outputs[0]] = layout;
        }

        private void VisitConv(Node node)
        {
            var weight = graph.FindInitializer(node.Inputs[1]);
            var layout = LayoutOf(node, 0);
            if (weight is null || weight.Dims.Count < 3)
            {
                if (layout is not null) Refuse(layout, $"Conv {node.DisplayName} has a computed weight");
                return;
            }
            string? bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? node.Inputs[2] : null;
            if (bias is not null && graph.FindInitializer(bias) is null)
            {
                if (layout is not null) Refuse(layout, $"Conv {node.DisplayName} has a computed bias");
                return;
            }
            long group = node.GetInt("group", 1);
            long outChannels = weight.Dims[0];
            long inChannels = weight.Dims[1] * group;
            int rank = weight.Dims.Count;
            if (layout is not null && (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1 || layout.Channels != inChannels))
            {
                Refuse(layout, $"Conv {node.DisplayName} reads channels that are not on axis 1");
                layout = null;
            }
            if (group == 1)
            {
                if (layout is not null) AddConsumer(node, weight.Name, 1, layout, node.Inputs[0]);
                AddProducer(node, weight, 0, rank, bias, 0);
                return;
            }
            if (group == inChannels && group == outChannels && weight.Dims[1] == 1 && layout is not null)
            {
                // Depthwise: channel c in is channel c out; removing it drops filter c and one group.
                _slices.Add(new ChannelTensorSlice(weight.Name, 0, layout, node, "depthwise"));
                if (bias is not null) _slices.Add(new ChannelTensorSlice(bias, 0, layout, node, "bias"));
                _edits.Add(new ChannelAttributeEdit(ChannelAttributeKind.DepthwiseGroup, node, layout));
                _layouts[node.Outputs[0]] = layout;
                return;
            }
            if (layout is not null) Refuse(layout, $"grouped Conv {node.DisplayName} (group={group})");
            // Its output channels come in groups; we leave them whole.
            int id = NewGroup((int)outChannels);
            _groups[id].Producers.Add(new ChannelProducer(node, weight.Name, 0, node.Outputs[0]));
            _groups[id].Reasons.Add($"produced by grouped Conv {node.DisplayName} (group={group})");
            _layouts[node.Outputs[0]] = ChannelLayout.Single(id, (int)outChannels, 1, rank);
        }

        private void VisitConvTranspose(Node node)
        {
            var weight = graph.FindInitializer(node.Inputs[1]);
            var layout = LayoutOf(node, 0);
            long group = node.GetInt("group", 1);
            string? bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? node.Inputs[2] : null;
            if (weight is null || group != 1 || (bias is not null && graph.FindInitializer(bias) is null)
                || (layout is not null && (layout.Axis != 1 || layout.Block != 1 || layout.Repeats != 1)))
            {
                if (layout is not null) Refuse(layout, $"ConvTranspose {node.DisplayName} is grouped or has computed parameters");
                return;
            }
            if (layout is not null) AddConsumer(node, weight.Name, 0, layout, node.Inputs[0]);
            AddProducer(node, weight, 1, weight.Dims.Count, bias, 0);
        }

        private void VisitGemm(Node node)
        {
            var weight = graph.FindInitializer(node.Inputs[1]);
            var layout = LayoutOf(node, 0);
            bool transB = node.GetInt("transB", 0) != 0;
            string? bias = node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? node.Inputs[2] : null;
            var biasTensor = bias is null ? null : graph.FindInitializer(bias);
            if (weight is null || weight.Dims.Count != 2 || node.GetInt("transA", 0) != 0 || (bias is not null && biasTensor is null))
            {
                if (layout is not null) Refuse(layout, $"Gemm {node.DisplayName} has transA or computed operands");
                return;
            }
            long k = transB ? weight.Dims[1] : weight.Dims[0];
            if (layout is not null)
            {
                if (layout.Axis != 1 || layout.Rank != 2 || layout.Repeats != 1 || layout.Extent != k)
                    Refuse(layout, $"Gemm {node.DisplayName} reads channels that are not its features");
                else AddConsumer(node, weight.Name, transB ? 1 : 0, layout, node.Inputs[0]);
            }
            int outAxis = transB ? 0 : 1;
            long n = weight.Dims[outAxis];
            // C broadcasts over rows: per-feature when its last dim is N, nothing to slice when it is a scalar.
            if (biasTensor is not null && biasTensor.ElementCount != 1 && !(biasTensor.Dims.Count >= 1 && biasTensor.Dims[^1] == n && biasTensor.ElementCount == n))
            {
                int id = NewGroup((int)n);
                _groups[id].Reasons.Add($"Gemm {node.DisplayName} has a full-matrix C");
                _layouts[node.Outputs[0]] = ChannelLayout.Single(id, (int)n, 1, 2);
                return;
            }
            AddProducer(node, weight, outAxis, 2, biasTensor is not null && biasTensor.ElementCount != 1 ? bias : null, biasTensor is null ? 0 : biasTensor.Dims.Count - 1,
                HeadSplitOf(node, n));
        }

        private void VisitMatMul(Node node)
        {
            var weight = graph.FindInitializer(node.Inputs[1]);
            var layout = LayoutOf(node, 0);
            if (weight is null && graph.FindInitializer(node.Inputs[0]) is null)
            {
                VisitBatchedMatMul(node);
                return;
            }
            if (weight is null || weight.Dims.Count != 2 || _layouts.ContainsKey(node.Inputs[1]))
            {
                RefuseInputs(node, $"MatMul {node.DisplayName} multiplies two computed values");
                return;
            }
            // The output's measured shape: a graph input's is not measured.
            int rank = ShapeOf(node.Outputs[0])?.Length ?? ShapeOf(node.Inputs[0])?.Length ?? layout?.Rank ?? 2;
            if (layout is not null)
            {
                if (layout.Axis != layout.Rank - 1 || layout.Repeats != 1 || layout.Extent != weight.Dims[0])
                    Refuse(layout, $"MatMul {node.DisplayName} reads channels that are not its last axis");
                else AddConsumer(node, weight.Name, 0, layout, node.Inputs[0]);
            }
            AddProducer(node, weight, 1, rank, null, 0, HeadSplitOf(node, weight.Dims[1]));
        }

        private void CheckSharedInitializers()
        {
            foreach (var byTensor in _slices.GroupBy(s => s.Tensor))
            {
                var readers = graph.Consumers(byTensor.Key);
                bool shared = readers.Count > 1;
                bool conflicting = byTensor.GroupBy(s => s.Axis).Any(a => a.Select(s => s.Layout).Distinct().Count() > 1
                    && !a.All(s => s.Layout.SameShape(a.First().Layout) && s.Layout.Segments.Select(x => Find(x.GroupId)).SequenceEqual(a.First().Layout.Segments.Select(x => Find(x.GroupId)))));
                if (shared || conflicting || graph.IsGraphOutput(byTensor.Key))
                    foreach (var s in byTensor) Refuse(s.Layout, $"initializer '{byTensor.Key}' is shared by several nodes");
            }
        }

        private ChannelDependencyGraph Finish()
        {
            var map = new Dictionary<int, int>();
            var groups = new List<ChannelGroup>();
            for (int i = 0; i < _groups.Count; i++)
            {
                if (_groups[i].Parent >= 0) continue;
                var g = _groups[i];
                map[i] = groups.Count;
                groups.Add(new ChannelGroup(groups.Count, g.Size, g.Producers.ToArray(), g.Consumers.ToArray(), g.BatchNorms.ToArray(), g.Reasons.ToArray(), g.HeadSize));
            }
            int Remap(int id) => map[Find(id)];
            var layouts = _layouts.ToDictionary(kv => kv.Key, kv => kv.Value.Remap(Remap), StringComparer.Ordinal);
            var slices = _slices
                .Select(s => s with { Layout = s.Layout.Remap(Remap) })
                .DistinctBy(s => (s.Tensor, s.Axis))
                .ToArray();
            var edits = _edits.Select(e => e with { Layout = e.Layout.Remap(Remap) }).ToArray();
            return new ChannelDependencyGraph(groups, slices, edits, layouts);
        }
    }
}
