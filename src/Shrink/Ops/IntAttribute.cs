namespace Shrink.Ops;

/// <summary>
/// Reads an integer attribute of a node, or <paramref name="fallback"/> when it is absent (e.g. <c>node.GetInt</c>). The
/// catalog's rules take this instead of a node so that <c>Ops/</c> depends on nothing else in Shrink.
/// </summary>
public delegate long IntAttribute(string name, long fallback);
