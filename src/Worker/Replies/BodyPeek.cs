using System.Text.Json;

namespace LlmQueue.Worker.Replies;

/// <summary>
/// What can still be read from a body that failed to deserialize: the request id and reply address, so
/// the failure can be reported to the producer. Reads a MassTransit envelope or a raw JSON request.
/// </summary>
public readonly record struct BodyPeek(string? RequestId, string? ReplyTo, string? ResponseAddress)
{
    public static BodyPeek Read(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            var request = TryGetProperty(root, "message", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : root;
            return new BodyPeek(StringOrNull(request, "requestId"), StringOrNull(request, "replyTo"), StringOrNull(root, "responseAddress"));
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string? StringOrNull(JsonElement element, string name)
    {
        return TryGetProperty(element, name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    // Producers may send PascalCase as well as camelCase; the deserializer accepts both, so this does too.
    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
