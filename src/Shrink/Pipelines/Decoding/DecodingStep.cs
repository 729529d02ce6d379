using Shrink.Data;
using Shrink.Runtime;

namespace Shrink.Pipelines.Decoding;

/// <summary>One run of a decoder in the loop: the tokens [Start, Start + Length) of every window, fed with the cache of the tokens before.</summary>
/// <param name="Start">The position of the first token of this run (the cache holds this many tokens).</param>
/// <param name="Length">Tokens fed in this run (the prefill length, then 1).</param>
/// <param name="Inputs">What the model was fed: the tokens and the cache tensors.</param>
/// <param name="Outputs">What it returned, in the model's output order.</param>
public sealed record DecodingStep(int Start, int Length, DataBatch Inputs, IReadOnlyList<OutputTensor> Outputs);
