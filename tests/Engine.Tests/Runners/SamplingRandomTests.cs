using LlmQueue.Engine.Runners;

namespace LlmQueue.Engine.Tests.Runners;

public class SamplingRandomTests
{
    // Random123's published known-answer vectors for Philox4x32-10 (its tests/kat_vectors): counter, key, output.
    [Theory]
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Philox4x32_10_gives_the_published_known_answers(
        uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint r0, uint r1, uint r2, uint r3) =>
        Assert.Equal((r0, r1, r2, r3), SamplingRandom.Philox4x32((c0, c1, c2, c3), (k0, k1)));

    [Fact]
    public void The_uniform_is_the_top_53_bits_of_the_first_two_words_for_key_seed_and_counter_position()
    {
        const ulong seed = 0x0123456789ABCDEF;
        const long position = 0x1_0000_0007;
        var (r0, r1, _, _) = SamplingRandom.Philox4x32((7u, 1u, 0u, 0u), (0x89ABCDEFu, 0x01234567u));

        Assert.Equal(((((ulong)r0 << 32) | r1) >> 11) / 9007199254740992.0, SamplingRandom.Uniform(seed, position));
    }

    [Fact]
    public void Uniforms_are_in_range_and_spread_evenly_over_positions()
    {
        var values = Enumerable.Range(0, 100_000).Select(p => SamplingRandom.Uniform(42, p)).ToArray();

        Assert.All(values, v => Assert.InRange(v, 0.0, Math.BitDecrement(1.0)));
        Assert.InRange(values.Average(), 0.497, 0.503);
        var buckets = values.GroupBy(v => (int)(v * 10)).Select(g => g.Count()).ToArray();
        Assert.Equal(10, buckets.Length);
        Assert.All(buckets, count => Assert.InRange(count, 9_500, 10_500));
    }

    [Fact]
    public void Seed_position_and_draw_each_change_the_value()
    {
        var value = SamplingRandom.Uniform(1, 10);
        Assert.Equal(value, SamplingRandom.Uniform(1, 10));
        Assert.NotEqual(value, SamplingRandom.Uniform(2, 10));
        Assert.NotEqual(value, SamplingRandom.Uniform(1, 11));
        Assert.NotEqual(value, SamplingRandom.Uniform(1, 10, draw: 1));
    }
}
