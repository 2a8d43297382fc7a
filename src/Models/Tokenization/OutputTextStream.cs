using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace LlmQueue.Models.Tokenization;

/// <summary>
/// Per-request output text: incremental detokenization followed by stop-string matching. The engine calls
/// <see cref="Append"/> for each generated token and <see cref="Flush"/> when the request finishes.
/// </summary>
[SuppressMessage("Naming", "CA1711", Justification = "A stream of text deltas, the name the engine codes against; not a System.IO.Stream.")]
public sealed class OutputTextStream
{
    private readonly IncrementalDetokenizer _detokenizer;
    private readonly StopStringMatcher _stops;
    private readonly StringBuilder _text = new();

    public OutputTextStream(ITokenizer tokenizer, IReadOnlyList<string> stopStrings)
    {
        _detokenizer = new IncrementalDetokenizer(tokenizer);
        _stops = new StopStringMatcher(stopStrings);
    }

    /// <summary>All text emitted so far (never includes a matched stop string).</summary>
    public string Text => _text.ToString();

    public bool Stopped => _stops.Stopped;

    /// <summary>The stop string that ended the output, or null.</summary>
    public string? MatchedStopString => _stops.MatchedStopString;

    public OutputDelta Append(int tokenId)
    {
        if (Stopped)
        {
            throw new InvalidOperationException("The output already hit a stop string.");
        }

        return Emit(_stops.Append(_detokenizer.Append(tokenId)));
    }

    /// <summary>Releases everything still held back; call once when generation ends for a reason other than a stop string.</summary>
    public string Flush()
    {
        if (Stopped)
        {
            return string.Empty;
        }

        var tail = Emit(_stops.Append(_detokenizer.Flush()));
        return tail.Stopped ? tail.Delta : tail.Delta + Emit(new OutputDelta(_stops.Flush(), false)).Delta;
    }

    private OutputDelta Emit(OutputDelta delta)
    {
        _text.Append(delta.Delta);
        return delta;
    }
}
