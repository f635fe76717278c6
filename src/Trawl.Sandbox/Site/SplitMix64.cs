namespace Trawl.Sandbox.Site;

/// <summary>
/// The SplitMix64 generator. Its output is fixed by its definition, unlike <see cref="Random"/>, whose algorithm
/// may change between runtimes, so sites generated from a seed stay the same forever.
/// </summary>
internal struct SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15;
    private ulong _state;

    /// <summary>A generator for one purpose (<paramref name="stream"/>) and one item of a site with <paramref name="seed"/>.</summary>
    public SplitMix64(long seed, ulong stream, long item) =>
        _state = Mix(Mix(Mix((ulong)seed) ^ stream) + (ulong)item);

    public ulong Next()
    {
        _state += Gamma;
        return Mix(_state);
    }

    /// <summary>A number in [0, <paramref name="bound"/>).</summary>
    public int NextInt(int bound) => (int)(((Next() >> 32) * (ulong)bound) >> 32);

    private static ulong Mix(ulong z)
    {
        z += Gamma;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}

/// <summary>The purposes random numbers are drawn for; each gets its own stream so they do not disturb one another.</summary>
internal static class RandomStreams
{
    public const ulong Links = 1;
    public const ulong Filler = 2;
    public const ulong QuoteOrder = 3;
    public const ulong QuoteTags = 4;
    public const ulong BigPage = 5;
    public const ulong AppText = 6;
    public const ulong AppLinks = 7;
}
