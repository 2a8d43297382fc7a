namespace LlmQueue.Gpu.Reference;

/// <summary>A fake kernel or copy touched memory outside the live device allocations (on a GPU: an illegal address).</summary>
public sealed class FakeMemoryAccessException : Exception
{
    public FakeMemoryAccessException()
    {
    }

    public FakeMemoryAccessException(string message)
        : base(message)
    {
    }

    public FakeMemoryAccessException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
