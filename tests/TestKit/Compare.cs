using Xunit;


namespace LlmQueue.TestKit;

public static class Compare
{
    /// <summary>max |actual - expected| / max |expected|: error relative to the row's scale.</summary>
    public static double RelativeError(IReadOnlyList<float> actual, IReadOnlyList<double> expected)
    {
        Assert.Equal(expected.Count, actual.Count);
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }

        Assert.True(maxRef > 0, "reference row is all zeros");
        return maxDiff / maxRef;
    }

    public static double RelativeError(IReadOnlyList<float> actual, IReadOnlyList<float> expected) =>
        RelativeError(actual, expected.Select(v => (double)v).ToArray());
}
