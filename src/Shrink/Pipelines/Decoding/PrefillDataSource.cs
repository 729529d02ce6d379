using Shrink.Data;
using Shrink.Model;

namespace Shrink.Pipelines.Decoding;

/// <summary>
/// Token windows as one full-window run of a decoder with a KV cache: each batch gets empty cache inputs (0 tokens), and
/// windows longer than the model's context are cut to it (<see cref="IncrementalDecoder.FitLength"/>). Such a batch
/// runs the model once (a prefill, as timed for latency), and <see cref="IncrementalDecoder.Run"/> decodes the same batch
/// token by token.
/// </summary>
public sealed class PrefillDataSource : IDataSource
{
    private readonly IDataSource _windows;
    private readonly IncrementalDecoder _decoder;

    /// <summary>Wraps <paramref name="windows"/> (batches with the decoder's token input) for <paramref name="decoder"/>'s model.</summary>
    public PrefillDataSource(IDataSource windows, IncrementalDecoder decoder)
    {
        _windows = windows;
        _decoder = decoder;
    }

    /// <inheritdoc />
    public string Description => _windows.Description;

    /// <inheritdoc />
    public long? Count => _windows.Count;

    /// <inheritdoc />
    public bool HasLabels => _windows.HasLabels;

    /// <inheritdoc />
    public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
    {
        var layout = _decoder.Layout;
        foreach (var batch in _windows.ReadBatches(batchSize, limit))
        {
            var tokens = batch.Inputs.FirstOrDefault(t => t.Name == layout.TokenInput);
            if (tokens is null || tokens.Shape.Length != 2)
            {
                yield return batch;
                continue;
            }
            int b = (int)tokens.Shape[0];
            int length = _decoder.FitLength((int)tokens.Shape[1]);
            yield return new DataBatch(
                [.. batch.Inputs.Select(t => t == tokens ? IncrementalDecoder.Slice(t, 0, length) : t),
                 .. layout.Pairs.Select(p => new BatchTensor(p.Past, ElementType.Float, p.EmptyShape(b), Array.Empty<float>(), p.BatchAxis))],
                batch.Count, batch.Labels);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _windows.Dispose();
}
