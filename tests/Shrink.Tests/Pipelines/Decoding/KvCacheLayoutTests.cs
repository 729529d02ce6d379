using Shrink.Model;
using Shrink.Pipelines.Decoding;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Pipelines.Decoding;

public sealed class KvCacheLayoutTests
{
    private static ValueInfo V(string name, ElementType type, params string[] dims) =>
        new(name, type, [.. dims.Select(d => long.TryParse(d, out long n) ? new Dimension(n, null) : new Dimension(null, d.Length == 0 ? null : d))]);

    private static ValueInfo Ids => V("input_ids", ElementType.Int64, "batch", "seq");

    [Fact]
    public void Pairs_past_key_i_with_present_key_i_and_finds_the_growing_axis()
    {
        var layout = KvCacheLayout.Detect(
            [Ids, V("past_key_0", ElementType.Float, "batch", "4", "past_seq", "48"), V("past_value_0", ElementType.Float, "batch", "4", "past_seq", "48")],
            [V("logits", ElementType.Float, "batch", "seq", "99"), V("present_value_0", ElementType.Float, "batch", "4", "total", "48"), V("present_key_0", ElementType.Float, "batch", "4", "total", "48")]);

        Assert.NotNull(layout);
        Assert.Equal("input_ids", layout.TokenInput);
        Assert.Equal("logits", layout.LogitsOutput);
        Assert.Equal([("past_key_0", "present_key_0"), ("past_value_0", "present_value_0")], layout.Pairs.Select(p => (p.Past, p.Present)));
        Assert.All(layout.Pairs, p => Assert.Equal((0, 2), (p.BatchAxis, p.SequenceAxis)));
        Assert.Equal([3L, 4, 0, 48], layout.Pairs[0].EmptyShape(3));
    }

    [Fact]
    public void Pairs_the_past_key_values_dot_convention_with_a_sequence_axis_read_from_the_shapes()
    {
        // [batch, seq, heads*dim] caches: the growing axis is 1, read from the dims that differ.
        var layout = KvCacheLayout.Detect(
            [V("past_key_values.0.key", ElementType.Float, "b", "p", "96"), Ids with { Shape = [new(null, "b"), new(null, "s")] }, V("past_key_values.0.value", ElementType.Float, "b", "p", "96")],
            [V("logits", ElementType.Float, "b", "s", "50"), V("present.0.key", ElementType.Float, "b", "p+s", "96"), V("present.0.value", ElementType.Float, "b", "p+s", "96")]);

        Assert.NotNull(layout);
        Assert.Equal([("past_key_values.0.key", "present.0.key"), ("past_key_values.0.value", "present.0.value")], layout.Pairs.Select(p => (p.Past, p.Present)));
        Assert.All(layout.Pairs, p => Assert.Equal((0, 1), (p.BatchAxis, p.SequenceAxis)));
    }

    [Fact]
    public void Batch_axis_follows_the_token_input_batch_symbol()
    {
        var layout = KvCacheLayout.Detect(
            [Ids, V("past_0", ElementType.Float, "2", "batch", "4", "past_seq", "8")],
            [V("logits", ElementType.Float, "batch", "seq", "10"), V("present_0", ElementType.Float, "2", "batch", "4", "total", "8")]);

        Assert.NotNull(layout);
        Assert.Equal((1, 3), (layout.Pairs[0].BatchAxis, layout.Pairs[0].SequenceAxis));
        Assert.Equal([2L, 5, 4, 0, 8], layout.Pairs[0].EmptyShape(5));
    }

    [Fact]
    public void Models_without_a_cache_or_with_inputs_the_loop_does_not_feed_have_no_layout()
    {
        Assert.Null(KvCacheLayout.Detect([Ids], [V("logits", ElementType.Float, "batch", "seq", "99")]));
        // An attention mask is an input the decoding loop does not feed: no layout, the model runs as it is.
        Assert.Null(KvCacheLayout.Detect(
            [Ids, V("attention_mask", ElementType.Int64, "batch", "total"), V("past_key_0", ElementType.Float, "batch", "4", "p", "8")],
            [V("logits", ElementType.Float, "batch", "seq", "99"), V("present_key_0", ElementType.Float, "batch", "4", "t", "8")]));
        // A past input without its present output is no cache.
        Assert.Null(KvCacheLayout.Detect(
            [Ids, V("past_key_0", ElementType.Float, "batch", "4", "p", "8")],
            [V("logits", ElementType.Float, "batch", "seq", "99"), V("next_key_0", ElementType.Float, "batch", "4", "t", "8")]));
    }

    [Fact]
    public void Empty_shape_refuses_a_symbolic_head_dim_by_name()
    {
        var pair = new KvCachePair("past_key_0", "present_key_0", 0, 2, [null, null, null, 48]);
        var e = Assert.Throws<ShrinkException>(() => pair.EmptyShape(1));
        Assert.Contains("'past_key_0'", e.Message);
        Assert.Contains("dim 1", e.Message);
    }

    [SharedFact]
    public void Tiny_gpt_kv_has_eight_cache_pairs_and_tiny_gpt_none()
    {
        var layout = KvCacheLayout.Detect(OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, "tiny_gpt_kv.onnx")));
        Assert.NotNull(layout);
        Assert.Equal(8, layout.Pairs.Count);
        Assert.Equal(["past_key_0", "past_value_0", "past_key_1", "past_value_1", "past_key_2", "past_value_2", "past_key_3", "past_value_3"], layout.PastInputs);
        Assert.All(layout.Pairs, p => Assert.Equal(p.Past.Replace("past", "present", StringComparison.Ordinal), p.Present));
        Assert.All(layout.Pairs, p => Assert.Equal([1L, 4, 0, 48], p.EmptyShape(1)));
        Assert.Null(KvCacheLayout.Detect(OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, "tiny_gpt.onnx"))));
    }
}
