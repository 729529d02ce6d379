using Shrink.Cli.Commands;

namespace Shrink.Cli.Json;

/// <summary><c>shrink bench --json</c>: the latency of each model, with the runtime it was measured on.</summary>
internal sealed record BenchJson(int Threads, string OrtVersion, IReadOnlyList<BenchCommand.BenchRow> Results, bool DenormalsFlushed);
