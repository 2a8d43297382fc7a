namespace LlmQueue.Engine.Runners;

/// <summary>
/// The random numbers sampling draws: a pure function of (seed, position, draw), so any backend reproduces them
/// bit for bit and a token never depends on the batch it shares or on what ran before. Philox4x32-10 (Salmon et
/// al., SC'11; the generator of cuRAND and PyTorch) with key = (seed low 32 bits, seed high 32 bits) and counter =
/// (position low, position high, draw, 0); the uniform is the top 53 bits of (r0 &lt;&lt; 32 | r1) times 2^-53.
/// </summary>
public static class SamplingRandom
{
    private const uint MultiplierA = 0xD2511F53;
    private const uint MultiplierB = 0xCD9E8D57;
    private const uint WeylA = 0x9E3779B9;
    private const uint WeylB = 0xBB67AE85;
    private const int Rounds = 10;

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public static double Uniform(ulong seed, long position, uint draw = 0)
    {
        var (r0, r1, _, _) = Philox4x32(
            ((uint)position, (uint)((ulong)position >> 32), draw, 0u),
            ((uint)seed, (uint)(seed >> 32)));
        var bits = (((ulong)r0 << 32) | r1) >> 11;
        return bits * (1.0 / (1UL << 53));
    }

    /// <summary>Philox4x32 with 10 rounds: the key advances by the Weyl constants before every round but the first.</summary>
    public static (uint R0, uint R1, uint R2, uint R3) Philox4x32((uint C0, uint C1, uint C2, uint C3) counter, (uint K0, uint K1) key)
    {
        var (c0, c1, c2, c3) = counter;
        var (k0, k1) = key;
        for (var round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                k0 += WeylA;
                k1 += WeylB;
            }

            var productA = (ulong)MultiplierA * c0;
            var productB = (ulong)MultiplierB * c2;
            (c0, c1, c2, c3) = (
                (uint)(productB >> 32) ^ c1 ^ k0,
                (uint)productB,
                (uint)(productA >> 32) ^ c3 ^ k1,
                (uint)productA);
        }

        return (c0, c1, c2, c3);
    }
}
