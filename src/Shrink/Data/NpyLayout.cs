namespace Shrink.Data;

/// <summary>What a .npy header says: the dtype string, the shape and where the data starts.</summary>
/// <param name="Descr">The dtype as NumPy writes it, e.g. <c>&lt;f4</c> or <c>|b1</c>.</param>
/// <param name="Shape">The shape; empty for a 0-d array.</param>
/// <param name="DataOffset">Bytes from the start of the .npy content to the first data byte.</param>
internal sealed record NpyLayout(string Descr, long[] Shape, long DataOffset);
