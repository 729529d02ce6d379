namespace Shrink.Data;

/// <summary>An inclusive range of values for random data of one input (<c>--input-range name=lo,hi</c>).</summary>
/// <param name="Low">The smallest value.</param>
/// <param name="High">The largest value (at least <paramref name="Low"/>).</param>
public readonly record struct ValueRange(double Low, double High);
