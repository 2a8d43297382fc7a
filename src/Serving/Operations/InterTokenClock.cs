using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LlmQueue.Serving.Operations;

/// <summary>
/// Times the tokens of one request as the serving core reads them: the gap between two deltas, spread over the
/// delta's tokens, is one inter-token latency sample per token. The first delta marks the first token on the trace.
/// </summary>
public sealed class InterTokenClock(Histogram<double> interTokenLatency)
{
    private long _last;

    public void Observe(int tokens)
    {
        if (tokens <= 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        if (_last == 0)
        {
            Activity.Current?.AddEvent(new ActivityEvent("first_token"));
        }
        else
        {
            var perToken = Stopwatch.GetElapsedTime(_last, now).TotalSeconds / tokens;
            for (var i = 0; i < tokens; i++)
            {
                interTokenLatency.Record(perToken);
            }
        }

        _last = now;
    }
}
