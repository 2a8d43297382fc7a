namespace LlmQueue.Models.Sources;

/// <summary>The final answer after redirects, with the metadata of the first (resolve) answer.</summary>
internal sealed record HubResponse(HttpResponseMessage Message, HubFileMetadata Metadata) : IDisposable
{
    public void Dispose() => Message.Dispose();
}
