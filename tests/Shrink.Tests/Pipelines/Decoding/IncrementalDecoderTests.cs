using Shrink.Pipelines.Decoding;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Pipelines.Decoding.LmWindows;

namespace Shrink.Tests.Pipelines.Decoding;

public sealed class IncrementalDecoderTests
{
    [SharedFact]
    public void Incremental_logits_and_perplexity_equal_the_full_sequence_run_of_tiny_gpt()
    {
        var windows = Read("tiny_gpt.val.npy", 6);
        var inputs = Inputs(windows, 128);
        using var full = ModelSession.Open(SharedPath("tiny_gpt.onnx"));
        using var kv = ModelSession.Open(SharedPath("tiny_gpt_kv.onnx"));
        var layout = KvCacheLayout.Detect(Shrink.Model.OnnxModel.Load(SharedPath("tiny_gpt_kv.onnx")))!;
        var reference = full.Run(inputs)[0];
        var (refNll, refCount) = NextTokenNll(reference, windows);

        foreach (int? prefill in new int?[] { null, 0, 100 })
        {
            var decoder = new IncrementalDecoder(kv, layout, prefill);
            var outputs = decoder.Run(inputs);
            Assert.Equal(kv.OutputNames, outputs.Select(o => o.Name));
            var logits = outputs[0];
            Assert.Equal(reference.Shape, logits.Shape);
            Assert.True(MaxAbsDiff(logits.Data, reference.Data) < 1e-4, $"prefill {prefill}: max |diff| {MaxAbsDiff(logits.Data, reference.Data)}");
            var (nll, count) = NextTokenNll(logits, windows);
            Assert.Equal(refCount, count);
            Assert.Equal(Math.Exp(refNll / refCount), Math.Exp(nll / count), 4);
            // The last cache holds all 128 tokens.
            Assert.Equal([6L, 4, 128, 48], outputs[1].Shape);
        }
    }

    [SharedFact]
    public void Steps_are_a_prefill_of_half_the_window_then_one_token_each_with_the_growing_cache()
    {
        using var kv = ModelSession.Open(SharedPath("tiny_gpt_kv.onnx"));
        var decoder = new IncrementalDecoder(kv, KvCacheLayout.Detect(Shrink.Model.OnnxModel.Load(SharedPath("tiny_gpt_kv.onnx")))!);
        var steps = decoder.Steps(Inputs(Read("tiny_gpt.val.npy", 2), 10)).ToList();

        Assert.Equal([(0, 5), (5, 1), (6, 1), (7, 1), (8, 1), (9, 1)], steps.Select(s => (s.Start, s.Length)));
        Assert.All(steps, s => Assert.Equal([2L, 4, s.Start, 48], s.Inputs.Inputs.Single(t => t.Name == "past_value_2").Shape));
        // Each step's past is the previous step's present.
        Assert.Equal(steps[2].Outputs.Single(o => o.Name == "present_key_1").Data, (float[])steps[3].Inputs.Inputs.Single(t => t.Name == "past_key_1").Data);
    }

    [SharedFact]
    public void Windows_longer_than_the_context_are_cut_to_it_with_a_note()
    {
        using var kv = ModelSession.Open(SharedPath("tiny_gpt_kv.onnx"));
        var notes = new List<string>();
        var decoder = new IncrementalDecoder(kv, KvCacheLayout.Detect(Shrink.Model.OnnxModel.Load(SharedPath("tiny_gpt_kv.onnx")))!, note: notes.Add);

        Assert.Equal(128, decoder.FitLength(129));
        Assert.Equal(128, decoder.FitLength(129));
        Assert.Equal(40, decoder.FitLength(40));
        var note = Assert.Single(notes);
        Assert.Contains("129 tokens are cut to 128", note);
        var logits = decoder.Run(Read("tiny_gpt.val.npy", 1))[0];
        Assert.Equal([1L, 128, 99], logits.Shape);
    }
}
