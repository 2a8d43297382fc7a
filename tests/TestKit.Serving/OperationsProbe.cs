using System.Net;

namespace LlmQueue.TestKit.Serving;

/// <summary>A client of a worker's operations endpoint, as an orchestrator's probes and a Prometheus scraper use it.</summary>
public sealed class OperationsProbe(int port) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };

    public int Port => port;

    /// <summary>GET <paramref name="path"/>: status and body; null when nothing answers (not listening yet, or gone).</summary>
    public async Task<(HttpStatusCode Status, string Body)?> TryGetAsync(string path)
    {
        try
        {
            using var response = await _http.GetAsync(path);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path) =>
        await TryGetAsync(path) ?? throw new InvalidOperationException($"Nothing answers on port {port}.");

    /// <summary>GET /metrics, checked to be Prometheus text, parsed.</summary>
    public async Task<PrometheusText> ScrapeAsync()
    {
        using var response = await _http.GetAsync("metrics");
        response.EnsureSuccessStatusCode();
        var type = response.Content.Headers.ContentType?.MediaType;
        return type == "text/plain"
            ? PrometheusText.Parse(await response.Content.ReadAsStringAsync())
            : throw new InvalidOperationException($"/metrics answered {type}, not text/plain.");
    }

    /// <summary>
    /// Polls <paramref name="path"/> until it answers <paramref name="status"/> (returned with its body), or fails
    /// after <paramref name="timeout"/> or once <paramref name="giveUp"/> says waiting is pointless (the process exited).
    /// </summary>
    public async Task<string> WaitForAsync(string path, HttpStatusCode status, TimeSpan timeout, Func<bool>? giveUp = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        (HttpStatusCode Status, string Body)? last = null;
        while (!deadline.IsCancellationRequested && giveUp?.Invoke() != true)
        {
            last = await TryGetAsync(path);
            if (last?.Status == status)
            {
                return last.Value.Body;
            }

            // Polling an endpoint that changes on its own; the deadline bounds it, it is not a timing assertion.
            await Task.Delay(50, CancellationToken.None);
        }

        throw new InvalidOperationException($"{path} did not answer {(int)status} within {timeout}; last answer: {(last is { } l ? $"{(int)l.Status} {l.Body.Trim()}" : "none")}.");
    }

    public void Dispose() => _http.Dispose();
}
