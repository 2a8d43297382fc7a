namespace LlmQueue.Models.Sources;

/// <summary>A failure worth another attempt (server busy, short body, stalled read); derives from IOException so
/// it is handled like a dropped connection.</summary>
internal sealed class TransientDownloadException : IOException
{
    public TransientDownloadException(string message)
        : base(message)
    {
    }
}
