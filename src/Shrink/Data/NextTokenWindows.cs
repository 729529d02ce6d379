using Shrink.Model;

namespace Shrink.Data;

/// <summary>
/// Token windows read as a language model sees them under teacher forcing: a window of n tokens feeds the model its
/// first n−1 (input = window[:n−1]) and its last n−1 are the targets (window[1:]). Every integer input of rank 2 or more
/// (ids, masks, positions) is cut along axis 1, other inputs pass unchanged. As a data source it decorates the source of
/// windows, so calibration sees exactly the inputs evaluation runs.
/// </summary>
public sealed class NextTokenWindows : IDataSource
{
    private readonly IDataSource _windows;

    /// <summary>Reads <paramref name="windows"/> (which it disposes) as next-token inputs.</summary>
    public NextTokenWindows(IDataSource windows) => _windows = windows;

    /// <inheritdoc />
    public string Description => _windows.Description + ", next-token inputs window[:-1]";

    /// <inheritdoc />
    public long? Count => _windows.Count;

    /// <inheritdoc />
    public bool HasLabels => _windows.HasLabels;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null) => _windows.ReadBatches(batchSize, limit).Select(Inputs);

    /// <summary>
    /// The inputs the windows must fit, given the model's: a fixed length along axis 1 of a windowed input is one more
    /// (a model of 128 tokens reads windows of 129).
    /// </summary>
    public static IReadOnlyList<ModelInputSpec> DataInputs(IReadOnlyList<ModelInputSpec> modelInputs) =>
        [.. modelInputs.Select(i => IsWindowed(i) && i.Dims[1] is long n ? i with { Dims = [i.Dims[0], n + 1, .. i.Dims.Skip(2)] } : i)];

    /// <summary>The model's batch: every windowed tensor without its last position.</summary>
    /// <exception cref="ShrinkException">A window has fewer than 2 tokens.</exception>
    public static DataBatch Inputs(DataBatch windows) =>
        new([.. windows.Inputs.Select(t => IsWindowed(t) ? Cut(t) : t)], windows.Count, windows.Labels);

    /// <summary>
    /// The tensor of token ids in a batch of windows: the one named <c>input_ids</c>, else the only windowed tensor.
    /// </summary>
    /// <exception cref="ShrinkException">No tensor, or several with none named input_ids.</exception>
    public static BatchTensor TokenTensor(DataBatch windows)
    {
        var candidates = windows.Inputs.Where(IsWindowed).ToList();
        return candidates.FirstOrDefault(t => t.Name == "input_ids")
            ?? (candidates.Count == 1 ? candidates[0]
                : throw new ShrinkException(candidates.Count == 0
                    ? $"No integer input of shape [batch, tokens] among [{string.Join(", ", windows.Inputs.Select(t => $"'{t.Name}'"))}] to read token windows from."
                    : $"Several integer inputs ({string.Join(", ", candidates.Select(t => $"'{t.Name}'"))}) and none named input_ids: the token ids are ambiguous."));
    }

    /// <summary>The token at <paramref name="position"/> of window <paramref name="row"/> of a [batch, tokens] tensor.</summary>
    public static long Token(BatchTensor tokens, int row, int position)
    {
        long index = row * tokens.Shape[1] + position;
        return tokens.Data switch
        {
            long[] l => l[index],
            int[] i => i[index],
            byte[] b => b[index],
            _ => throw new ShrinkException($"Input '{tokens.Name}' of type {tokens.Type.OnnxName()} does not hold token ids."),
        };
    }

    private static bool IsWindowed(ModelInputSpec input) =>
        input.Type is ElementType.Int64 or ElementType.Int32 && !input.IsScalar && input.BatchAxis == 0 && input.Dims.Count >= 2;

    private static bool IsWindowed(BatchTensor tensor) =>
        tensor.Type is ElementType.Int64 or ElementType.Int32 or ElementType.UInt8 && tensor.BatchAxis == 0 && tensor.Shape.Length >= 2;

    private static BatchTensor Cut(BatchTensor t)
    {
        long rows = t.Shape[0], length = t.Shape[1];
        if (length < 2)
            throw new ShrinkException($"Input '{t.Name}': windows of {length} token(s) leave nothing to predict; next-token windows need at least 2 tokens (input = window[:-1], targets = window[1:]).");
        long inner = 1;
        for (int a = 2; a < t.Shape.Length; a++) inner *= t.Shape[a];
        long[] shape = [rows, length - 1, .. t.Shape[2..]];
        var data = Array.CreateInstance(t.Data.GetType().GetElementType()!, rows * (length - 1) * inner);
        for (long r = 0; r < rows; r++)
            Array.Copy(t.Data, r * length * inner, data, r * (length - 1) * inner, (length - 1) * inner);
        return new BatchTensor(t.Name, t.Type, shape, data, t.BatchAxis);
    }

    /// <summary>Disposes the windows' source.</summary>
    public void Dispose() => _windows.Dispose();
}
