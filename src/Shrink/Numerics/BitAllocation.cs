namespace Shrink.Numerics;

/// <summary>A chosen bit width per layer, with its total cost and resource use.</summary>
public sealed record BitAllocation(IReadOnlyDictionary<string, int> Bits, double Cost, long Resource, bool Optimal);
