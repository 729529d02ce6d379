namespace Shrink.Numerics;

/// <summary>One layer of a bit-allocation problem: the cost Ω and the resource (bytes, BOPs...) of each bit width.</summary>
public sealed record AllocationLayer(string Name, IReadOnlyDictionary<int, double> Cost, IReadOnlyDictionary<int, long> Resource);
