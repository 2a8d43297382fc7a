namespace LlmQueue.Models.Tokenization;

/// <summary>
/// The bytes every id decodes to, in one array with offsets (a byte[] per token was 262k allocations at load
/// for Gemma). An id without bytes (model padding past the vocabulary) has an empty range.
/// </summary>
internal sealed class TokenByteTable
{
    private readonly byte[] _bytes;
    private readonly int[] _offsets;

    private TokenByteTable(byte[] bytes, int[] offsets)
    {
        _bytes = bytes;
        _offsets = offsets;
    }

    public int Count => _offsets.Length - 1;

    public ReadOnlySpan<byte> this[int id] =>
        (uint)id < (uint)Count ? _bytes.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]) : [];

    /// <summary>Builds the table from each id's token string (null: none) and the decoder's mapping to bytes.</summary>
    public static TokenByteTable Build(IReadOnlyList<string?> tokens, TokenByteWriter write)
    {
        var offsets = new int[tokens.Count + 1];
        var bytes = new byte[Math.Max(16, tokens.Sum(t => t?.Length ?? 0) * 2)];
        var length = 0;
        for (var id = 0; id < tokens.Count; id++)
        {
            offsets[id] = length;
            if (tokens[id] is not { } token)
            {
                continue;
            }

            // No decoder produces more than 3 bytes per UTF-16 unit (UTF-8) plus its replacements' growth.
            while (true)
            {
                var written = write(token, bytes.AsSpan(length));
                if (written >= 0)
                {
                    length += written;
                    break;
                }

                Array.Resize(ref bytes, bytes.Length * 2);
            }
        }

        offsets[tokens.Count] = length;
        Array.Resize(ref bytes, length);
        return new TokenByteTable(bytes, offsets);
    }
}

/// <summary>Writes the bytes of a token to <paramref name="destination"/>; returns the count, or -1 when they do not fit.</summary>
internal delegate int TokenByteWriter(string token, Span<byte> destination);
