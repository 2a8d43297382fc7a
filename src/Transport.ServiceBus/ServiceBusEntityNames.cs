namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// Service Bus entity names: ASCII letters, digits, '.', '-', '_' and '/', at most 260 characters, starting and ending
/// with a letter or digit (so a path never starts or ends with a slash), no empty path segment.
/// </summary>
public static class ServiceBusEntityNames
{
    public const int MaxLength = 260;

    /// <summary>A reason the name is refused, or null when Service Bus would accept it.</summary>
    public static string? Check(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (QueueNames.Check(name, MaxLength, "/") is { } problem)
        {
            return problem;
        }

        // The shared check lets ':' through (RabbitMQ names use it); Service Bus does not.
        if (name.Contains(':', StringComparison.Ordinal))
        {
            return "the queue name contains ':'; allowed are ASCII letters, digits and . - _ /";
        }

        if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1]))
        {
            return "the queue name must start and end with a letter or digit";
        }

        return name.Contains("//", StringComparison.Ordinal) ? "the queue name contains an empty path segment ('//')" : null;
    }
}
