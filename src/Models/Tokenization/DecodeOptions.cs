namespace LlmQueue.Models.Tokenization;

/// <summary>How ids become text. <see cref="Default"/> is Hugging Face's decode.</summary>
public sealed record DecodeOptions
{
    public static DecodeOptions Default { get; } = new();

    /// <summary>Leaves out special added tokens (BOS, EOS, turn markers), as skip_special_tokens does.</summary>
    public bool SkipSpecialTokens { get; init; }

    /// <summary>What a byte sequence that is not UTF-8 becomes in a full decode.</summary>
    public InvalidUtf8Handling InvalidUtf8 { get; init; }
}
