namespace LlmQueue.Client.Tests;

internal static class TestContext
{
    /// <summary>A guard against hangs, not a timing assertion: every wait in these tests is event-driven.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);
}
