namespace Shrink.Data;

/// <summary>Element types stored in IDX and .npy files (multi-byte types little-endian, as .npy writes them).</summary>
internal enum RawType
{
    UInt8,
    Int32,
    Int64,
    Float32,
}
