namespace LlmQueue.Models.Tokenization;

/// <summary>How text becomes ids. <see cref="Default"/> is Hugging Face's encode.</summary>
public sealed record EncodeOptions
{
    /// <summary>Hugging Face's defaults: the post-processor's tokens (BOS...) added, special tokens in the text recognised.</summary>
    public static EncodeOptions Default { get; } = new();

    /// <summary>Untrusted text: special-token strings in it are encoded as the characters they are.</summary>
    public static EncodeOptions UntrustedText { get; } = new() { SplitSpecialTokens = true };

    /// <summary>Adds what the post-processor adds around a sequence (BOS, EOS...).</summary>
    public bool AddSpecialTokens { get; init; } = true;

    /// <summary>
    /// When true, the text of a special added token (&lt;|im_start|&gt;, &lt;start_of_turn&gt;...) in the input is
    /// tokenized as ordinary text rather than becoming the control token, as Hugging Face's split_special_tokens
    /// does; non-special added tokens still match.
    /// </summary>
    public bool SplitSpecialTokens { get; init; }
}
