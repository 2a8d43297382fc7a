using System.Text.Json;

namespace LlmQueue.TestKit.Serving;

/// <summary>One reply as a non-.NET producer sees it: the type header, the content type and the parsed JSON body.</summary>
public sealed record RawReply(string Type, string? ContentType, JsonElement Body)
{
    public string Text(string name) => Body.GetProperty(name).GetString() ?? "";

    public int Number(string name) => Body.GetProperty(name).GetInt32();
}
