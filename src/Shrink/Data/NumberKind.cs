namespace Shrink.Data;

/// <summary>The family of an array's element type, which decides what model input types it may feed.</summary>
internal enum NumberKind
{
    Bool,
    Signed,
    Unsigned,
    Float,
}
