
namespace LlmQueue.Models.Sources;

/// <summary>
/// Turns a model reference into a local checkpoint folder: an existing folder is used as is; a Hugging Face Hub
/// model id ("org/name") is resolved at a revision and its checkpoint files downloaded into the cache
/// (huggingface_hub layout), which later starts reuse, also without network.
/// </summary>
public sealed class ModelSource : IDisposable
{
    private readonly ModelSourceOptions _options;
    private readonly HubClient _hub;
    private readonly HubSnapshotDownloader _snapshots;

    public ModelSource(ModelSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxAttempts, "MaxAttempts must be at least 1.");
        }

        _options = options;
        _hub = new HubClient(ParseEndpoint(options.Endpoint), string.IsNullOrEmpty(options.Token) ? null : options.Token, options.ReadTimeout);
        _snapshots = new HubSnapshotDownloader(_hub, new HubFileDownloader(_hub, options));
    }

    /// <summary>
    /// Resolves <paramref name="model"/>: an existing folder (or any rooted or ./-relative path) is checked for
    /// config.json and returned; otherwise it must be a Hub model id, resolved at <paramref name="revision"/>
    /// (default "main"; ignored for folders).
    /// </summary>
    /// <exception cref="ModelSourceException">The folder or model cannot be used; the message says why.</exception>
    public async Task<ResolvedModel> ResolveAsync(string model, string? revision = null, IProgress<DownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        if (IsLocalPath(model))
        {
            return LocalFolder(model);
        }

        if (!HubRepoId.TryParse(model, out var repo))
        {
            throw new ModelSourceException($"'{model}' is neither an existing folder nor a Hub model id of the form 'org/name'.");
        }

        return await ResolveHubAsync(repo!, HubRevision.Validate(revision ?? HubRevision.Default), progress, cancellationToken);
    }

    public void Dispose() => _hub.Dispose();

    /// <summary>True when the name is a folder path rather than a Hub id.</summary>
    public static bool IsLocalPath(string model) =>
        Directory.Exists(model) || Path.IsPathRooted(model) || model.StartsWith('.') || model.StartsWith('~') || model.Contains('\\', StringComparison.Ordinal);

    private static ResolvedModel LocalFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new ModelSourceException($"{folder}: model folder not found.");
        }

        string config = Path.Combine(folder, ModelConfigReader.FileName);
        return File.Exists(config)
            ? new ResolvedModel(folder, Commit: null, ModelOrigin.LocalFolder)
            : throw new ModelSourceException($"{config}: file not found; a model folder needs its config.json.");
    }

    private async Task<ResolvedModel> ResolveHubAsync(HubRepoId repo, string revision, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var cache = new HubCache(_options.CacheDirectory, repo);
        if (_options.Offline)
        {
            return FromCache(cache, revision, warning: null)
                ?? throw new ModelSourceException($"Model '{repo}' at revision '{revision}': offline mode and no complete snapshot in {cache.RepoFolder}.");
        }

        HubRepoInfo info;
        try
        {
            info = await _hub.GetRepoInfoAsync(repo, revision, cancellationToken);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            string problem = $"the Hub at {_hub.Endpoint} could not be reached to resolve '{repo}' at revision '{revision}' ({e.Message})";
            return FromCache(cache, revision, $"{problem}; using the cached snapshot.")
                ?? throw new ModelSourceException($"{problem} and {cache.RepoFolder} holds no complete snapshot for it.", e);
        }

        string snapshot = await _snapshots.EnsureAsync(repo, info, cache, progress, cancellationToken);
        cache.WriteRef(revision, info.Commit);
        return new ResolvedModel(snapshot, info.Commit, ModelOrigin.Hub);
    }

    private static ResolvedModel? FromCache(HubCache cache, string revision, string? warning)
    {
        string? commit = cache.TryReadRef(revision);
        if (commit is null)
        {
            return null;
        }

        string snapshot = cache.SnapshotFolder(commit);
        return Directory.Exists(snapshot) && CheckpointFiles.MissingIn(snapshot).Count == 0
            ? new ResolvedModel(snapshot, commit, ModelOrigin.Cache, warning)
            : null;
    }

    private static Uri ParseEndpoint(string endpoint)
    {
        // A trailing slash makes relative URLs append to a path prefix (e.g. a mirror under /hf) instead of replacing its last segment.
        string withSlash = endpoint.EndsWith('/') ? endpoint : endpoint + "/";
        return Uri.TryCreate(withSlash, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ModelSourceException($"Hub endpoint '{endpoint}' is not an absolute http(s) URL.");
    }
}
