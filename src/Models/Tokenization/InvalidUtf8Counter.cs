using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// A decoder fallback that replaces each invalid UTF-8 sequence with U+FFFD, as the default one does, and counts
/// them, so a stream can tell afterwards whether its text was exact (U+FFFD in the text cannot tell: it is
/// also a token of its own).
/// </summary>
internal sealed class InvalidUtf8Counter : DecoderFallback
{
    public int Count { get; private set; }

    public override int MaxCharCount => 1;

    public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

    private sealed class Buffer(InvalidUtf8Counter owner) : DecoderFallbackBuffer
    {
        private bool _pending;

        public override int Remaining => _pending ? 1 : 0;

        public override bool Fallback(byte[] bytesUnknown, int index)
        {
            owner.Count++;
            _pending = true;
            return true;
        }

        public override char GetNextChar()
        {
            if (!_pending)
            {
                return '\0';
            }

            _pending = false;
            return '\uFFFD';
        }

        public override bool MovePrevious() => false;

        public override void Reset() => _pending = false;
    }
}
