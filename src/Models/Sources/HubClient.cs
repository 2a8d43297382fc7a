using System.Net;
using System.Net.Http.Headers;

namespace LlmQueue.Models.Sources;

/// <summary>HTTP access to the Hub: the revision's file list and file GETs with redirects followed by hand.</summary>
internal sealed class HubClient : IDisposable
{
    private const int MaxRedirects = 10;

    private readonly HttpClient _http;
    private readonly string? _token;
    private readonly TimeSpan _headersTimeout;

    public HubClient(Uri endpoint, string? token, TimeSpan headersTimeout)
    {
        // Redirects are followed here, not by the handler: the first answer carries the file's metadata, and the
        // token must not travel to another host (the Hub sends LFS files to a CDN with signed URLs).
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = headersTimeout })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        Endpoint = endpoint;
        _token = token;
        _headersTimeout = headersTimeout;
    }

    public Uri Endpoint { get; }

    public async Task<HubRepoInfo> GetRepoInfoAsync(HubRepoId repo, string revision, CancellationToken cancellationToken)
    {
        var url = new Uri(Endpoint, $"api/models/{repo.UrlPath}/revision/{Uri.EscapeDataString(revision)}");
        using var response = await GetAsync(url, rangeStart: 0, cancellationToken);
        EnsureSuccess(response.Message, $"Model '{repo}' at revision '{revision}'");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_headersTimeout);
        return HubRepoInfo.Parse(await response.Message.Content.ReadAsByteArrayAsync(timeout.Token), url);
    }

    public Uri ResolveUrl(HubRepoId repo, string commit, string file) =>
        new(Endpoint, $"{repo.UrlPath}/resolve/{commit}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");

    /// <summary>GET following redirects; the body is left unread. <paramref name="rangeStart"/> &gt; 0 asks for the rest of the file.</summary>
    public async Task<HubResponse> GetAsync(Uri url, long rangeStart, CancellationToken cancellationToken)
    {
        var current = url;
        bool sendToken = _token is not null;
        HubFileMetadata? metadata = null;
        for (int hop = 0; hop <= MaxRedirects; hop++)
        {
            var response = await SendOnceAsync(current, rangeStart, sendToken, cancellationToken);
            metadata ??= HubFileMetadata.From(response);
            if (!IsRedirect(response.StatusCode))
            {
                return new HubResponse(response, metadata);
            }

            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
            {
                throw new ModelSourceException($"{current}: HTTP redirect without a Location header.");
            }

            current = location.IsAbsoluteUri ? location : new Uri(current, location);
            sendToken &= SameOrigin(url, current);
        }

        throw new ModelSourceException($"{url}: more than {MaxRedirects} redirects.");
    }

    /// <summary>Maps a failed status to a clear error: access and not-found problems are final, server trouble is transient.</summary>
    public void EnsureSuccess(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        int code = (int)response.StatusCode;
        string detail = response.Headers.TryGetValues("X-Error-Message", out var messages) ? $" ({messages.First()})" : "";
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new ModelSourceException(_token is null
                ? $"{what}: access denied (HTTP {code}){detail}: the model is gated or private, set HF_TOKEN to a token that has access."
                : $"{what}: access denied (HTTP {code}){detail}: the model is gated or private and the token in HF_TOKEN was refused or lacks access."),
            HttpStatusCode.NotFound => new ModelSourceException($"{what}: model or revision not found (HTTP 404) at {Endpoint}{detail}."),
            HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests => new TransientDownloadException($"{what}: HTTP {code}{detail}."),
            _ when code >= 500 => new TransientDownloadException($"{what}: HTTP {code}{detail}."),
            _ => new ModelSourceException($"{what}: unexpected HTTP {code}{detail} from {response.RequestMessage?.RequestUri}."),
        };
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendOnceAsync(Uri url, long rangeStart, bool sendToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (sendToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        if (rangeStart > 0)
        {
            request.Headers.Range = new RangeHeaderValue(rangeStart, null);
        }

        // The body may be gigabytes: only the wait for headers is bounded here; reads are bounded by the caller.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_headersTimeout);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientDownloadException($"{url}: no answer within {_headersTimeout.TotalSeconds:0} s.");
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool SameOrigin(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;
}
