namespace Shrink.Evaluation;

/// <summary>Fidelity of one output to the reference model's output of the same name.</summary>
/// <param name="Output">The output name.</param>
/// <param name="Cosine">Cosine similarity of the flattened outputs; null when not meaningful (see <paramref name="Note"/>).</param>
/// <param name="SqnrDb">Signal-to-noise ratio in dB (reference = signal); null when the outputs are identical (infinite) or when not meaningful.</param>
/// <param name="ArgMaxAgreement">Share of rows whose arg-max over the last axis matches.</param>
/// <param name="Note">Why cosine and SQNR are null when they say nothing (the reference output is constant on the data); null otherwise.</param>
public sealed record OutputFidelity(string Output, double? Cosine, double? SqnrDb, double ArgMaxAgreement, string? Note = null);
