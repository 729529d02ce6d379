namespace Shrink.Bench;

/// <summary>Fast deterministic random floats (xorshift64*), so model generation takes well under a second per 100M weights.</summary>
internal sealed class WeightFiller(ulong seed)
{
    private ulong _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    /// <summary>Fills <paramref name="dest"/> with values uniform in [-<paramref name="scale"/>, <paramref name="scale"/>).</summary>
    public void FillUniform(Span<float> dest, float scale)
    {
        ulong x = _state;
        const float unit = 1f / (1 << 24);
        for (int i = 0; i < dest.Length; i++)
        {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            ulong r = x * 0x2545F4914F6CDD1DUL;
            dest[i] = ((r >> 40) * unit * 2f - 1f) * scale;
        }
        _state = x;
    }

    /// <summary>A value in [0, <paramref name="bound"/>).</summary>
    public long NextLong(long bound)
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return (long)((_state * 0x2545F4914F6CDD1DUL) >> 1) % bound;
    }
}
