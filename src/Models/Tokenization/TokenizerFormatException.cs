namespace LlmQueue.Models.Tokenization;

/// <summary>A tokenizer.json that cannot be used; the message names the source and the problem.</summary>
public sealed class TokenizerFormatException : Exception
{
    public TokenizerFormatException()
    {
    }

    public TokenizerFormatException(string message)
        : base(message)
    {
    }

    public TokenizerFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
