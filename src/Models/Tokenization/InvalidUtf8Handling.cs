namespace LlmQueue.Models.Tokenization;

/// <summary>What decoding does with bytes that are not valid UTF-8 (tokens can end mid-character).</summary>
public enum InvalidUtf8Handling
{
    /// <summary>Each invalid sequence becomes U+FFFD, as Hugging Face's decode (errors="replace") does.</summary>
    Replace,

    /// <summary>Decoding fails with a <see cref="System.Text.DecoderFallbackException"/>.</summary>
    Error,
}
