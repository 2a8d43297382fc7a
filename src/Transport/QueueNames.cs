namespace LlmQueue.Transport;

/// <summary>
/// Reply queue names the transports accept: ASCII letters, digits and a few separators. Brokers allow more, but a
/// name with spaces, control or non-ASCII characters in a replyTo field is far more often a bug than a queue.
/// </summary>
public static class QueueNames
{
    /// <summary>A reason the name is refused, or null when it is fine.</summary>
    /// <param name="extraAllowed">Separators this broker allows beyond '.', '-', '_' and ':'.</param>
    public static string? Check(string name, int maxLength, string extraAllowed = "")
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(extraAllowed);
        if (name.Length == 0)
        {
            return "the queue name is empty";
        }

        if (name.Length > maxLength)
        {
            return $"the queue name is {name.Length} characters long; at most {maxLength} are allowed";
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_' or ':') && !extraAllowed.Contains(c, StringComparison.Ordinal))
            {
                return $"the queue name contains '{Printable(c)}'; allowed are ASCII letters, digits and . - _ :{extraAllowed}";
            }
        }

        return null;
    }

    private static string Printable(char c) => char.IsControl(c) || char.IsSurrogate(c) || c == ' '
        ? $"U+{(int)c:X4}"
        : c.ToString();
}
