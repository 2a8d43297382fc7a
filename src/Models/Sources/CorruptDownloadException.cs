namespace LlmQueue.Models.Sources;

/// <summary>The downloaded bytes are wrong (hash or size); the partial file must be discarded, not resumed.</summary>
internal sealed class CorruptDownloadException : Exception
{
    public CorruptDownloadException(string message)
        : base(message)
    {
    }
}
