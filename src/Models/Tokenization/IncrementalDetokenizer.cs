using System.Runtime.InteropServices;
using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Turns generated token ids into text deltas that never split a UTF-8 sequence: bytes of an incomplete
/// character are held back until a later token completes it. A stateful UTF-8 decoder guarantees that the
/// concatenated deltas equal decoding all bytes at once. Buffers are reused, so a token costs only its delta.
/// </summary>
public sealed class IncrementalDetokenizer
{
    // Bytes still pending in the decoder plus the new ones can produce at most this many extra chars.
    private const int MaxHeldBackChars = 4;

    private readonly ITokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly InvalidUtf8Counter _invalid = new();
    private readonly Decoder _decoder;
    private readonly List<byte> _bytes = new(16);
    private char[] _chars = new char[32];

    /// <param name="skipSpecialTokens">Special added tokens (turn markers, EOS...) add no text, as skip_special_tokens does.</param>
    public IncrementalDetokenizer(ITokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
        _decoder = Encoding.UTF8.GetDecoder();
        _decoder.Fallback = _invalid;
    }

    /// <summary>Whether some bytes so far were not UTF-8 and became U+FFFD (a held-back tail counts once flushed).</summary>
    public bool HadInvalidUtf8 => _invalid.Count > 0;

    /// <summary>Text completed by this token; empty while a multi-byte character is still incomplete.</summary>
    public string Append(int tokenId)
    {
        _bytes.Clear();
        if (_skipSpecialTokens && _tokenizer.IsSpecial(tokenId))
        {
            return string.Empty;
        }

        _tokenizer.AppendTokenBytes(tokenId, _bytes);
        return Decode(CollectionsMarshal.AsSpan(_bytes), flush: false);
    }

    /// <summary>Ends the stream: a truly broken tail becomes U+FFFD.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        var capacity = bytes.Length + MaxHeldBackChars;
        if (_chars.Length < capacity)
        {
            _chars = new char[Math.Max(capacity, _chars.Length * 2)];
        }

        var count = _decoder.GetChars(bytes, _chars, flush);
        return count == 0 ? string.Empty : new string(_chars, 0, count);
    }
}
