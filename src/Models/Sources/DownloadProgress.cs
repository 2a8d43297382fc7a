namespace LlmQueue.Models.Sources;

/// <summary>Progress of one file download. <paramref name="TotalBytes"/> is null while the size is unknown;
/// the last report of a file has <paramref name="BytesDone"/> equal to <paramref name="TotalBytes"/>.</summary>
public readonly record struct DownloadProgress(string File, long BytesDone, long? TotalBytes)
{
    public bool IsComplete => BytesDone == TotalBytes;
}
