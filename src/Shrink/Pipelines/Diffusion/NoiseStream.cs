namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// Standard normal values from a seeded generator of Shrink's own (SplitMix64 and the Box–Muller transform), one
/// independent stream per (seed, sample index), so a sample's noise does not depend on the batch size or on which other
/// samples are drawn. It is <b>not</b> PyTorch's generator: <c>torch.randn</c> with the same seed gives different
/// values, so samples are not the same images as a PyTorch run with that seed (compare distributions, or feed the
/// sampler PyTorch's noise to compare images).
/// </summary>
public struct NoiseStream
{
    private ulong _state;
    private float _spare;
    private bool _hasSpare;

    /// <summary>The stream of sample <paramref name="index"/> under <paramref name="seed"/>.</summary>
    public NoiseStream(int seed, long index)
    {
        ulong s = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ 0xD1B54A32D192ED03UL;
        _state = Mix(s) ^ Mix((ulong)index + 0x632BE59BD9B4E019UL);
        _spare = 0;
        _hasSpare = false;
    }

    /// <summary>The next standard normal value.</summary>
    public float Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u1 = ((NextBits() >> 11) + 1) * (1.0 / 9007199254740993.0); // (0, 1]
        double u2 = (NextBits() >> 11) * (1.0 / 9007199254740992.0);       // [0, 1)
        double r = Math.Sqrt(-2 * Math.Log(u1)), a = 2 * Math.PI * u2;
        _spare = (float)(r * Math.Sin(a));
        _hasSpare = true;
        return (float)(r * Math.Cos(a));
    }

    /// <summary>Fills <paramref name="destination"/> with standard normal values.</summary>
    public void Fill(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Next();
    }

    private ulong NextBits() => Mix(_state += 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
