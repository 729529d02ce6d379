using Shrink.Evaluation;

namespace Shrink.Bench;

/// <summary>ORT latency of one model at one batch size, with the output shapes it produced.</summary>
internal sealed record LatencyRow(string Model, string Input, LatencyStats Stats, int Threads, string OutputShapes, bool OutputsFinite);
