using System.Buffers;
using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// GPT-2's byte-to-unicode map: every byte gets a printable character so byte-level BPE vocabularies
/// can be stored as JSON strings. Printable Latin-1 bytes map to themselves, the rest to U+0100 onwards.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] _byteToChar = BuildByteToChar();
    private static readonly short[] _charToByte = BuildCharToByte(_byteToChar);

    public static char ToChar(byte value) => _byteToChar[value];

    public static bool TryToByte(char c, out byte value)
    {
        if (c < _charToByte.Length && _charToByte[c] >= 0)
        {
            value = (byte)_charToByte[c];
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Writes the byte-level spelling of the UTF-8 encoding of <paramref name="text"/>; <paramref name="destination"/> holds its byte count.</summary>
    public static void EncodeUtf8(ReadOnlySpan<char> text, Span<char> destination)
    {
        var written = 0;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < 0x80)
            {
                destination[written++] = _byteToChar[c];
                continue;
            }

            var status = Rune.DecodeFromUtf16(text[i..], out var rune, out var consumed);
            i += consumed - 1;
            var count = (status == OperationStatus.Done ? rune : Rune.ReplacementChar).EncodeToUtf8(utf8);
            for (var b = 0; b < count; b++)
            {
                destination[written++] = _byteToChar[utf8[b]];
            }
        }
    }

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var chars = bytes.Length <= 256 ? stackalloc char[bytes.Length] : new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = _byteToChar[bytes[i]];
        }

        return new string(chars);
    }

    /// <summary>
    /// Writes the bytes a byte-level token string stands for (characters outside the alphabet pass through as
    /// UTF-8); returns their count, or -1 when they do not fit.
    /// </summary>
    public static int TryDecode(string token, Span<byte> destination)
    {
        var written = 0;
        foreach (var rune in token.EnumerateRunes())
        {
            if (rune.IsBmp && TryToByte((char)rune.Value, out var b))
            {
                if (written == destination.Length)
                {
                    return -1;
                }

                destination[written++] = b;
            }
            else if (rune.TryEncodeToUtf8(destination[written..], out var count))
            {
                written += count;
            }
            else
            {
                return -1;
            }
        }

        return written;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }

    private static short[] BuildCharToByte(char[] byteToChar)
    {
        var reverse = new short[byteToChar.Max() + 1];
        Array.Fill(reverse, (short)-1);
        for (var b = 0; b < byteToChar.Length; b++)
        {
            reverse[byteToChar[b]] = (short)b;
        }

        return reverse;
    }
}
