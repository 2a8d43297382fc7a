using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LlmQueue.Models.Tests.Sources;

/// <summary>
/// Serves repositories the way the Hugging Face Hub does: GET api/models/{id}/revision/{rev} lists the files and
/// the commit; GET {id}/resolve/{rev}/{file} answers 302 with ETag, X-Repo-Commit and, for LFS files (*.safetensors),
/// X-Linked-Etag (the sha256) and X-Linked-Size, redirecting to a blob URL on this server or on a second
/// "CDN" server (another port, i.e. another host) that honours Range requests. Faults can be injected per file.
/// </summary>
internal sealed class FakeHub : IDisposable
{
    private readonly ConcurrentDictionary<string, Repo> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, int> _cuts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _corruptions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _cutAfter = new(StringComparer.Ordinal);
    private readonly HttpTestServer _hub;
    private readonly HttpTestServer? _cdn;

    private FakeHub(bool cdnOnOtherHost)
    {
        _hub = HttpTestServer.Start(context => HandleHubAsync(context));
        _cdn = cdnOnOtherHost ? HttpTestServer.Start(context => HandleBlobAsync(context, "cdn")) : null;
    }

    public string Endpoint => _hub.BaseUri.ToString();

    /// <summary>Every hub and cdn request will be answered with this status instead.</summary>
    public HttpStatusCode? ForcedStatus { get; set; }

    /// <summary>Blob answers ignore Range headers and send the whole file with 200, as some servers do.</summary>
    public bool IgnoreRange { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static FakeHub Start(bool cdnOnOtherHost = false) => new(cdnOnOtherHost);

    public static bool IsLfs(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal);

    public static string Sha256Hex(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public void AddRepo(string id, string commit, IReadOnlyDictionary<string, byte[]> files, string revision = "main") =>
        _repos[id] = new Repo(commit, revision, files);

    /// <summary>The next <paramref name="times"/> blob answers for the file send <paramref name="afterBytes"/> bytes, then drop the connection.</summary>
    public void CutConnection(string file, long afterBytes, int times)
    {
        _cutAfter[file] = afterBytes;
        _cuts[file] = times;
    }

    /// <summary>The next <paramref name="times"/> blob answers for the file carry a flipped byte.</summary>
    public void Corrupt(string file, int times) => _corruptions[file] = times;

    /// <summary>Requests for the file's content (the redirect targets, not the resolve URLs).</summary>
    public IReadOnlyList<RecordedRequest> BlobRequests(string file) =>
        [.. _requests.Where(r => r.Path.StartsWith("/blobs/", StringComparison.Ordinal) && r.Path.EndsWith("/" + file, StringComparison.Ordinal))];

    /// <summary>Stops both servers; later connections are refused.</summary>
    public void Dispose()
    {
        _hub.Dispose();
        _cdn?.Dispose();
    }

    private async Task HandleHubAsync(HttpListenerContext context)
    {
        string path = Record(context, "hub");
        if (ForcedStatus is { } forced)
        {
            await RespondAsync(context.Response, forced, Encoding.UTF8.GetBytes($"{{\"error\":\"{forced}\"}}"));
            return;
        }

        if (path.StartsWith("/api/models/", StringComparison.Ordinal))
        {
            await HandleListingAsync(context.Response, path["/api/models/".Length..]);
        }
        else if (path.StartsWith("/blobs/", StringComparison.Ordinal))
        {
            await ServeBlobAsync(context, path);
        }
        else
        {
            HandleResolve(context.Response, path);
        }
    }

    private async Task HandleBlobAsync(HttpListenerContext context, string server)
    {
        string path = Record(context, server);
        await ServeBlobAsync(context, path);
    }

    private string Record(HttpListenerContext context, string server)
    {
        string path = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath);
        _requests.Enqueue(new RecordedRequest(server, path, context.Request.Headers["Range"], context.Request.Headers["Authorization"]));
        return path;
    }

    private async Task HandleListingAsync(HttpListenerResponse response, string rest)
    {
        // rest = {id}/revision/{rev}
        int split = rest.IndexOf("/revision/", StringComparison.Ordinal);
        if (split < 0 || !TryFind(rest[..split], rest[(split + "/revision/".Length)..], out var repo))
        {
            await RespondAsync(response, HttpStatusCode.NotFound, "{\"error\":\"Repository not found\"}"u8.ToArray());
            return;
        }

        var listing = new
        {
            id = rest[..split],
            sha = repo.Commit,
            siblings = repo.Files.Keys.Select(f => new { rfilename = f }).ToArray(),
        };
        await RespondAsync(response, HttpStatusCode.OK, JsonSerializer.SerializeToUtf8Bytes(listing));
    }

    private void HandleResolve(HttpListenerResponse response, string path)
    {
        // path = /{id}/resolve/{rev}/{file}
        int split = path.IndexOf("/resolve/", StringComparison.Ordinal);
        string id = split > 0 ? path[1..split] : "";
        string[] revAndFile = split > 0 ? path[(split + "/resolve/".Length)..].Split('/', 2) : [];
        if (revAndFile.Length != 2 || !TryFind(id, revAndFile[0], out var repo) || !repo.Files.TryGetValue(revAndFile[1], out var content))
        {
            response.StatusCode = (int)HttpStatusCode.NotFound;
            return;
        }

        string file = revAndFile[1];
        string blobPath = $"/blobs/{repo.Commit}/{file}";
        response.StatusCode = (int)HttpStatusCode.Found;
        // Same host: a relative Location, as the Hub sends for plain git files; CDN: an absolute URL on the other port.
        response.RedirectLocation = _cdn is null ? blobPath : new Uri(_cdn.BaseUri, blobPath).ToString();
        response.AddHeader("X-Repo-Commit", repo.Commit);
        if (IsLfs(file))
        {
            response.AddHeader("ETag", $"\"{Sha256Hex(content)}\"");
            response.AddHeader("X-Linked-Etag", $"\"{Sha256Hex(content)}\"");
            response.AddHeader("X-Linked-Size", content.Length.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            // Stands in for the git blob id the Hub sends for plain files: 40 hex digits, not a content sha256.
            response.AddHeader("ETag", $"\"{Sha256Hex(content)[..40]}\"");
        }

        response.ContentLength64 = 0;
    }

    private async Task ServeBlobAsync(HttpListenerContext context, string path)
    {
        // path = /blobs/{commit}/{file}
        string[] parts = path["/blobs/".Length..].Split('/', 2);
        var repo = _repos.Values.FirstOrDefault(r => parts.Length == 2 && r.Commit == parts[0]);
        if (repo is null || !repo.Files.TryGetValue(parts[1], out var content))
        {
            context.Response.StatusCode = (int)HttpStatusCode.NotFound;
            return;
        }

        string file = parts[1];
        long start = IgnoreRange ? 0 : ParseRangeStart(context.Request.Headers["Range"]);
        var response = context.Response;
        if (start >= content.Length && start > 0)
        {
            response.StatusCode = (int)HttpStatusCode.RequestedRangeNotSatisfiable;
            return;
        }

        byte[] served = TakeFault(_corruptions, file) ? Corrupted(content) : content;
        response.StatusCode = start > 0 ? (int)HttpStatusCode.PartialContent : (int)HttpStatusCode.OK;
        if (start > 0)
        {
            response.AddHeader("Content-Range", $"bytes {start}-{content.Length - 1}/{content.Length}");
        }

        response.ContentLength64 = content.Length - start;
        if (TakeFault(_cuts, file))
        {
            int sent = (int)Math.Min(_cutAfter[file], content.Length - start);
            await response.OutputStream.WriteAsync(served.AsMemory((int)start, sent));
            await response.OutputStream.FlushAsync();
            response.Abort();
            return;
        }

        await response.OutputStream.WriteAsync(served.AsMemory((int)start));
    }

    private static long ParseRangeStart(string? range)
    {
        // Only the form the client sends: "bytes=N-".
        if (range is null)
        {
            return 0;
        }

        Assert.StartsWith("bytes=", range, StringComparison.Ordinal);
        Assert.EndsWith("-", range, StringComparison.Ordinal);
        return long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
    }

    private static bool TakeFault(ConcurrentDictionary<string, int> faults, string file)
    {
        while (faults.TryGetValue(file, out int left) && left > 0)
        {
            if (faults.TryUpdate(file, left - 1, left))
            {
                return true;
            }
        }

        return false;
    }

    private static byte[] Corrupted(byte[] content)
    {
        byte[] copy = [.. content];
        copy[copy.Length / 2] ^= 0xFF;
        return copy;
    }

    private bool TryFind(string id, string revision, out Repo repo)
    {
        repo = _repos.GetValueOrDefault(id)!;
        return repo is not null && (revision == repo.Revision || revision == repo.Commit);
    }

    private static async Task RespondAsync(HttpListenerResponse response, HttpStatusCode status, byte[] body)
    {
        response.StatusCode = (int)status;
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
    }

    private sealed record Repo(string Commit, string Revision, IReadOnlyDictionary<string, byte[]> Files);
}
