using Shrink.Data;
using Shrink.Model;
using Shrink.Pipelines.Decoding;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Pipelines.Decoding.LmWindows;

namespace Shrink.Tests.Pipelines.Decoding;

public sealed class KvCacheStateSourceTests
{
    private static readonly ModelInputSpec Ids = new("input_ids", ElementType.Int64, [null, null], ["batch", "seq"]);

    private static IDataSource Open(List<string>? notes = null)
    {
        string model = SharedPath("tiny_gpt_kv.onnx");
        return KvCacheStateSource.OpenFor(model, ModelInputs.Of(OnnxModel.Load(model)),
            inputs => new IntegerNpyDataSource(SharedPath("tiny_gpt.calib.npy"), Assert.Single(inputs)), notes is null ? null : notes.Add);
    }

    [SharedFact]
    public void Yields_prefills_and_decode_steps_with_the_fp32_cache_of_the_prefix()
    {
        var notes = new List<string>();
        using var source = Open(notes);
        Assert.Contains("KV cache (8 past/present pairs)", Assert.Single(notes));
        Assert.Equal(512L * 4, source.Count);

        var batches = source.ReadBatches(3, 16).ToList();
        // 16 samples = 4 windows: a batch of 3 windows (its prefill and 3 steps), then 1 window (the same).
        Assert.Equal([3, 3, 3, 3, 1, 1, 1, 1], batches.Select(b => b.Count));
        Assert.All(batches, b => Assert.Equal(9, b.Inputs.Count));
        // Per batch of windows: the prefill (64 of the 128 tokens that fit, empty cache), then 3 one-token steps.
        var prefills = batches.Where(b => b.Inputs[0].Shape[1] == 64).ToList();
        Assert.Equal(2, prefills.Count);
        Assert.All(prefills, b => Assert.Equal(0, b.Inputs[1].Shape[2]));
        var steps = batches.Where(b => b.Inputs[0].Shape[1] == 1).ToList();
        Assert.Equal(batches.Count - prefills.Count, steps.Count);
        var pasts = steps.Select(b => b.Inputs[1].Shape[2]).ToList();
        Assert.All(pasts, p => Assert.InRange(p, 64, 127));
        Assert.True(pasts.Distinct().Count() == 6, $"the decode steps should spread over positions: {string.Join(",", pasts)}");

        // A decode step's cache is the fp32 model's own cache of the prefix: a full run of the prefix gives the same.
        var step = steps[0];
        int past = (int)step.Inputs[1].Shape[2];
        var windows = Read("tiny_gpt.calib.npy", 3);
        using var kv = ModelSession.Open(SharedPath("tiny_gpt_kv.onnx"));
        var prefix = Inputs(windows, past);
        var full = kv.Run(new DataBatch([prefix.Inputs[0], .. KvCacheLayout.Detect(OnnxModel.Load(SharedPath("tiny_gpt_kv.onnx")))!.Pairs
            .Select(p => new BatchTensor(p.Past, ElementType.Float, p.EmptyShape(3), Array.Empty<float>()))], 3, null));
        var presentKey0 = full.Single(o => o.Name == "present_key_0");
        Assert.True(MaxAbsDiff((float[])step.Inputs.Single(t => t.Name == "past_key_0").Data, presentKey0.Data) < 1e-4);
        Assert.Equal(((long[])windows.Inputs[0].Data)[past], ((long[])step.Inputs[0].Data)[0]);
    }

    [SharedFact]
    public void Data_for_a_model_without_a_cache_is_opened_as_it_is()
    {
        string model = SharedPath("tiny_gpt.onnx");
        var inputs = ModelInputs.Of(OnnxModel.Load(model));
        IReadOnlyList<ModelInputSpec>? seen = null;
        using var source = KvCacheStateSource.OpenFor(model, inputs, i => { seen = i; return new IntegerNpyDataSource(SharedPath("tiny_gpt.calib.npy"), i[0]); });
        Assert.IsType<IntegerNpyDataSource>(source);
        Assert.Same(inputs, seen);
    }

    [Fact]
    public void Decode_positions_spread_over_the_second_half_and_shift_per_batch()
    {
        using var source = new KvCacheStateSource(new InMemoryDataSourceStub(), "unused.onnx", new KvCacheLayout("ids", "logits", []), decodeSteps: 4);
        var first = source.Positions(64, 128, 0);
        var second = source.Positions(64, 128, 1);
        Assert.Equal([64, 80, 96, 112], first);
        Assert.Equal(4, second.Count);
        Assert.All(second, p => Assert.InRange(p, 64, 127));
        Assert.NotEqual(first, second);
        Assert.Empty(source.Positions(10, 10, 0));
    }

    private sealed class InMemoryDataSourceStub : IDataSource
    {
        public string Description => "stub";
        public long? Count => 0;
        public bool HasLabels => false;
        public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null) => [];
        public void Dispose() { }
    }
}
