using Shrink.Model;
using Shrink.Pipelines.Decoding;

namespace Shrink.Training;

/// <summary>What training cannot take yet, refused before any work (pruning or calibration) is done.</summary>
public static class TrainableModelCheck
{
    /// <summary>
    /// Refuses a decoder with a KV cache: its samples are a prefill window and one-token decode steps with the cache the
    /// model computed, whose token inputs differ in shape, and the trainer batches samples of one shape. Train the same
    /// decoder exported without the cache (its weights are the same), then quantize or prune the cached export.
    /// </summary>
    /// <exception cref="ShrinkException">The model has past/present cache pairs.</exception>
    public static void RefuseKvCache(OnnxModel model, string what)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (KvCacheLayout.Detect(model) is { } cache)
            throw new ShrinkException($"{model.Name}: {what} does not train decoders with a KV cache yet ({cache.Pairs.Count} past/present pairs, e.g. '{cache.Pairs[0].Past}'): "
                + "their samples mix prefill windows and one-token steps of different shapes. Train the decoder exported without the cache, or leave the training out.");
    }
}
