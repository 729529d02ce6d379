namespace Shrink.Ops;

/// <summary>
/// What a backward rule sees of one forward node: the node and its attributes, the gradients of its outputs (null
/// where an output gets none), which inputs need a gradient, the ranks and constant values known before running, and
/// the <see cref="GraphEmitter"/> to write the backward nodes with. Forward values are read by name: the training graph
/// keeps them alive.
/// </summary>
public sealed class BackwardContext
{
    private readonly IReadOnlyList<string?> _outputGradients;
    private readonly Func<int, bool> _needsGradient;
    private readonly Func<string, int?> _rank;
    private readonly Func<string, IReadOnlyList<string>?> _shape;

    /// <summary>A context for <paramref name="node"/>; <paramref name="shape"/> gives the shapes known before running (see <see cref="Shape"/>).</summary>
    public BackwardContext(IForwardNode node, IReadOnlyList<string?> outputGradients, Func<int, bool> needsGradient, Func<string, int?> rank, GraphEmitter emitter,
        Func<string, IReadOnlyList<string>?>? shape = null)
    {
        Node = node;
        _outputGradients = outputGradients;
        _needsGradient = needsGradient;
        _rank = rank;
        _shape = shape ?? (_ => null);
        Emitter = emitter;
    }

    /// <summary>The forward node.</summary>
    public IForwardNode Node { get; }

    /// <summary>Writes the backward nodes.</summary>
    public GraphEmitter Emitter { get; }

    /// <summary>The name of input <paramref name="index"/> ("" when omitted or absent).</summary>
    public string Input(int index) => index < Node.Inputs.Count ? Node.Inputs[index] : "";

    /// <summary>Whether input <paramref name="index"/> is present.</summary>
    public bool HasInput(int index) => Input(index).Length > 0;

    /// <summary>The name of output <paramref name="index"/>.</summary>
    public string Output(int index) => Node.Outputs[index];

    /// <summary>The gradient of output <paramref name="index"/>, or null when it gets none.</summary>
    public string? OutputGradient(int index) => index < _outputGradients.Count ? _outputGradients[index] : null;

    /// <summary>The gradient of the first output (rules of one-output ops are only asked when it has one).</summary>
    public string Gradient => OutputGradient(0) ?? throw Refuse("its output has no gradient");

    /// <summary>Whether input <paramref name="index"/> depends on a parameter and so needs a gradient.</summary>
    public bool NeedsGradient(int index) => HasInput(index) && _needsGradient(index);

    /// <summary>The rank of a value when known before running (declarations, initializers, propagation), else null.</summary>
    public int? Rank(string value) => _rank(value);

    /// <summary>The rank of a value; refuses, naming the node, when it is not known.</summary>
    public int RequireRank(string value) => _rank(value) ?? throw Refuse($"the rank of '{value}' is not known before running");

    /// <summary>
    /// The shape of a value when known before running, one token per axis: a number in decimal ("128") or a symbol
    /// starting with '$' (a dim_param, or a dimension only known to equal those with the same symbol); null when not known.
    /// Equal tokens are equal dimensions; different tokens may still be equal at run time.
    /// </summary>
    public IReadOnlyList<string>? Shape(string value) => _shape(value);

    /// <summary>
    /// Undoes broadcasting for input <paramref name="index"/> of a broadcasting node: sums <paramref name="gradient"/>, shaped
    /// like output 0, over the axes along which the input was broadcast. Where both shapes are known before running this is
    /// nothing (same shape) or one ReduceSum over constant axes (then a Squeeze of the leading axes the input lacks);
    /// otherwise the axes are found at run time (<see cref="GraphEmitter.ReduceToShapeOf"/>).
    /// </summary>
    public string ReduceToInput(string gradient, int index)
    {
        string input = Input(index);
        if (Shape(input) is { } shape && Shape(Output(0)) is { } output && shape.Count <= output.Count)
        {
            int lead = output.Count - shape.Count;
            var axes = new List<long>();
            for (int i = 0; i < lead; i++) axes.Add(i);
            bool known = true;
            for (int i = 0; i < shape.Count && known; i++)
            {
                if (shape[i] == output[lead + i]) continue;
                if (shape[i] == "1") axes.Add(lead + i);
                else known = false;
            }
            if (known)
            {
                if (axes.Count == 0) return gradient;
                string summed = Emitter.ReduceSum(gradient, axes, keepDims: true);
                return lead == 0 ? summed : Emitter.Emit(OpTypes.Squeeze, [summed, Emitter.Ints([.. axes.Take(lead)])]);
            }
        }
        return Emitter.ReduceToShapeOf(gradient, input);
    }

    /// <summary>An integer attribute.</summary>
    public long Int(string name, long fallback) => Node.GetInt(name, fallback);

    /// <summary>An integer-list attribute, or null.</summary>
    public IReadOnlyList<long>? Ints(string name) => Node.GetInts(name);

    /// <summary>The values of a constant input (initializer or Constant node) as int64, or null when it is computed.</summary>
    public long[]? ConstantInts(string value) => Emitter.Graph.ConstantInts(value);

    /// <summary>The values of a constant float input (initializer or Constant node), or null when it is computed.</summary>
    public float[]? ConstantFloats(string value) => Emitter.Graph.ConstantFloats(value);

    /// <summary>
    /// The name of forward output <paramref name="index"/>, adding the output to the forward node when it has fewer
    /// (MaxPool's Indices): the forward node then computes what the backward needs.
    /// </summary>
    public string ForwardOutput(int index, string stem) => Node.EnsureOutput(index, stem);

    /// <summary>A refusal naming the node and op.</summary>
    public ShrinkException Refuse(string why) => new($"Cannot differentiate node '{Node.DisplayName}' ({Node.OpType}): {why}.");

    /// <summary>One null per input of the node, to fill in: the result of a rule.</summary>
    public string?[] NoGradients() => new string?[Node.Inputs.Count];
}
