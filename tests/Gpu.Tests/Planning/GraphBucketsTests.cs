using LlmQueue.Gpu.Planning;

namespace LlmQueue.Gpu.Tests.Planning;

public class GraphBucketsTests
{
    [Theory]
    [InlineData(64, new[] { 1, 2, 4, 8, 16, 32, 64 })]
    [InlineData(48, new[] { 1, 2, 4, 8, 16, 32, 48 })]
    [InlineData(1, new[] { 1 })]
    public void Buckets_are_powers_of_two_up_to_the_largest_batch(int maxBatch, int[] expected) =>
        Assert.Equal(expected, new GraphBuckets(maxBatch).Sizes);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(17, 32)]
    [InlineData(33, 48)]
    [InlineData(48, 48)]
    public void A_step_replays_the_smallest_bucket_that_holds_it(int sequences, int bucket) =>
        Assert.Equal(bucket, new GraphBuckets(48).BucketFor(sequences));

    [Fact]
    public void A_step_larger_than_every_bucket_has_none() => Assert.Null(new GraphBuckets(48).BucketFor(49));
}
