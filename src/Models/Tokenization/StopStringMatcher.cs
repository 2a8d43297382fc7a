namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Watches streamed text for stop strings (ordinal). Text that could still be the start of a stop string is
/// held back until resolved; on a match the text before it is released and the stop string itself is dropped,
/// as vLLM does by default.
/// </summary>
public sealed class StopStringMatcher
{
    private readonly string[] _stopStrings;
    private readonly int _maxHeldBack;
    private string _pending = string.Empty;

    public StopStringMatcher(IReadOnlyList<string> stopStrings)
    {
        ArgumentNullException.ThrowIfNull(stopStrings);
        if (stopStrings.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Stop strings must not be null or empty.", nameof(stopStrings));
        }

        _stopStrings = [.. stopStrings];
        _maxHeldBack = _stopStrings.Length == 0 ? 0 : _stopStrings.Max(s => s.Length) - 1;
    }

    public bool Stopped => MatchedStopString is not null;

    /// <summary>The stop string that ended the stream, or null.</summary>
    public string? MatchedStopString { get; private set; }

    /// <summary>Feeds new text; returns what can be emitted now and whether a stop string was hit.</summary>
    public OutputDelta Append(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Stopped)
        {
            throw new InvalidOperationException("The stream already hit a stop string.");
        }

        if (_stopStrings.Length == 0)
        {
            return new OutputDelta(text, false);
        }

        var pending = _pending.Length == 0 ? text : _pending + text;
        if (FindEarliestStop(pending) is var (index, stop) && stop is not null)
        {
            MatchedStopString = stop;
            _pending = string.Empty;
            return new OutputDelta(pending[..index], true);
        }

        var heldBack = LongestPossibleStopStart(pending);
        _pending = pending[^heldBack..];
        return new OutputDelta(heldBack == 0 ? pending : pending[..^heldBack], false);
    }

    /// <summary>Releases text held back at the end of the stream (it can no longer become a stop string).</summary>
    public string Flush()
    {
        var rest = _pending;
        _pending = string.Empty;
        return rest;
    }

    private (int Index, string? Stop) FindEarliestStop(string text)
    {
        (int Index, string? Stop) best = (int.MaxValue, null);
        foreach (var stop in _stopStrings)
        {
            var index = text.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && index < best.Index)
            {
                best = (index, stop);
            }
        }

        return best;
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of a stop string.</summary>
    private int LongestPossibleStopStart(string text)
    {
        for (var length = Math.Min(text.Length, _maxHeldBack); length > 0; length--)
        {
            var suffix = text.AsSpan(text.Length - length);
            foreach (var stop in _stopStrings)
            {
                if (stop.Length > length && stop.AsSpan().StartsWith(suffix, StringComparison.Ordinal))
                {
                    return length;
                }
            }
        }

        return 0;
    }
}
