namespace LlmQueue.Contracts;

/// <summary>Values of <see cref="SamplingParams.InvalidUtf8"/>.</summary>
public static class InvalidUtf8Modes
{
    /// <summary>Each invalid byte sequence becomes U+FFFD.</summary>
    public const string Replace = "replace";

    /// <summary>A completion whose tokens are not valid UTF-8 fails instead of carrying U+FFFD.</summary>
    public const string Error = "error";
}
