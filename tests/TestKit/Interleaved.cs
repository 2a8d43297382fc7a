namespace LlmQueue.TestKit;

/// <summary>
/// For scenarios whose side condition (a preemption, a shared step) depends on how the engine thread interleaves
/// with concurrent submissions: each run asserts its outputs itself, and runs repeat (a bounded number of times)
/// until one met the condition.
/// </summary>
public static class Interleaved
{
    public const int Runs = 20;

    /// <summary>True as soon as a run returns true; false after <see cref="Runs"/> runs that did not.</summary>
    public static async Task<bool> AnyRunAsync(Func<Task<bool>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        for (int i = 0; i < Runs; i++)
        {
            if (await run())
            {
                return true;
            }
        }

        return false;
    }
}
