namespace Shrink.Ops;

/// <summary>An attribute of a node that a backward rule or loss writes: an int, ints, a float, a string or a float tensor.</summary>
public sealed record OpAttribute(string Name, long? Int = null, IReadOnlyList<long>? Ints = null, float? Float = null, string? Text = null, float[]? FloatTensor = null);
