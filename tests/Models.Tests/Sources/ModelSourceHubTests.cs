using System.Net;
using LlmQueue.Models;
using LlmQueue.Models.Sources;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;

namespace LlmQueue.Models.Tests.Sources;

public sealed class ModelSourceHubTests : IDisposable
{
    private const string Id = "test-org/tiny-llama";
    private const string Weights = WeightStore.SingleFileName;

    private readonly TempDirectory _cache = new();

    // A guard against a hang, never an assertion.
    private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(60));

    private string RepoFolder => _cache.File("models--test-org--tiny-llama");

    public void Dispose()
    {
        _guard.Dispose();
        _cache.Dispose();
    }

    [Fact]
    public async Task Fresh_download_fills_a_snapshot_with_the_checkpoint_files_and_records_the_ref()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        using var hub = StartHub(files);
        var progress = new RecordingProgress();

        var resolved = await ResolveAsync(Options(hub), progress);

        Assert.Equal(ModelOrigin.Hub, resolved.Origin);
        Assert.Equal(HubRepoFiles.Commit, resolved.Commit);
        Assert.Equal(Path.Combine(RepoFolder, "snapshots", HubRepoFiles.Commit), resolved.Folder);
        Assert.Equal(HubRepoFiles.Commit, File.ReadAllText(Path.Combine(RepoFolder, "refs", "main")));
        string[] expected = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];
        Assert.Equal(expected, Directory.GetFiles(resolved.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (string file in expected)
        {
            Assert.Equal(files[file], File.ReadAllBytes(Path.Combine(resolved.Folder, file)));
            var last = progress.Reports.Last(r => r.File == file);
            Assert.True(last.IsComplete);
            Assert.Equal(files[file].Length, last.BytesDone);
        }

        using var model = LlamaModel.Load(resolved.Folder);
        Assert.Equal(SyntheticModelSpec.Tiny.VocabSize, model.Config.VocabSize);
    }

    [Fact]
    public async Task Second_start_with_the_hub_stopped_uses_the_cached_snapshot()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        var hub = StartHub(files);
        var first = await ResolveAsync(Options(hub));
        var options = Options(hub);
        hub.Dispose();

        var second = await ResolveAsync(options);

        Assert.Equal(ModelOrigin.Cache, second.Origin);
        Assert.Equal(first.Folder, second.Folder);
        Assert.Contains("could not be reached", second.Warning, StringComparison.Ordinal);
        Assert.Equal(files[Weights], File.ReadAllBytes(Path.Combine(second.Folder, Weights)));
    }

    [Fact]
    public async Task Offline_mode_uses_the_cache_without_any_request()
    {
        using var hub = StartHub(HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny));
        var first = await ResolveAsync(Options(hub));
        int before = hub.Requests.Count;

        var offline = Options(hub);
        offline.Offline = true;
        var second = await ResolveAsync(offline);

        Assert.Equal(ModelOrigin.Cache, second.Origin);
        Assert.Equal(first.Folder, second.Folder);
        Assert.Null(second.Warning);
        Assert.Equal(before, hub.Requests.Count);
    }

    [Fact]
    public async Task Online_start_with_a_complete_snapshot_only_asks_for_the_file_list()
    {
        using var hub = StartHub(HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny));
        await ResolveAsync(Options(hub));
        int before = hub.Requests.Count;

        var second = await ResolveAsync(Options(hub));

        Assert.Equal(ModelOrigin.Hub, second.Origin);
        var request = Assert.Single(hub.Requests.Skip(before));
        Assert.Equal($"/api/models/{Id}/revision/main", request.Path);
    }

    [Fact]
    public async Task Offline_mode_without_a_cached_snapshot_fails_naming_the_model()
    {
        using var hub = StartHub(HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny));
        var options = Options(hub);
        options.Offline = true;

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => ResolveAsync(options));

        Assert.Contains(Id, error.Message, StringComparison.Ordinal);
        Assert.Contains("offline", error.Message, StringComparison.Ordinal);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task Unreachable_hub_without_a_cached_snapshot_fails_clearly()
    {
        var options = new ModelSourceOptions
        {
            CacheDirectory = _cache.Path,
            Endpoint = $"http://127.0.0.1:{HttpTestServer.FreePort()}/",
            Token = null,
        };

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => ResolveAsync(options));

        Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
        Assert.Contains("no complete snapshot", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sharded_checkpoint_downloads_the_index_and_every_shard()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny with { Shards = 2 });
        var shards = files.Keys.Where(f => f.StartsWith("model-", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, shards.Count);
        using var hub = StartHub(files);

        var resolved = await ResolveAsync(Options(hub));

        Assert.False(File.Exists(Path.Combine(resolved.Folder, Weights)));
        foreach (string file in shards.Append(WeightStore.IndexFileName))
        {
            Assert.Equal(files[file], File.ReadAllBytes(Path.Combine(resolved.Folder, file)));
        }

        using var model = LlamaModel.Load(resolved.Folder);
        Assert.Equal(SyntheticModelSpec.Tiny.NumLayers, model.Weights.Layers.Count);
    }

    [Fact]
    public async Task Index_naming_a_shard_the_repository_lacks_fails_naming_it()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny with { Shards = 2 });
        string shard = files.Keys.First(f => f.StartsWith("model-", StringComparison.Ordinal));
        files.Remove(shard);
        using var hub = StartHub(files);

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => ResolveAsync(Options(hub)));

        Assert.Contains(shard, error.Message, StringComparison.Ordinal);
        Assert.Contains(WeightStore.IndexFileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repository_without_a_tokenizer_fails_naming_the_missing_file()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        files.Remove("tokenizer.json");
        using var hub = StartHub(files);

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => ResolveAsync(Options(hub)));

        Assert.Contains("lacks tokenizer.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Interrupted_download_resumes_with_a_range_request()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        const long cut = 10_000;
        Assert.True(files[Weights].Length > 2 * cut);
        using var hub = StartHub(files);
        hub.CutConnection(Weights, cut, times: 1);

        var resolved = await ResolveAsync(Options(hub));

        var blobRequests = hub.BlobRequests(Weights);
        Assert.Equal(2, blobRequests.Count);
        Assert.Null(blobRequests[0].Range);
        Assert.Equal($"bytes={cut}-", blobRequests[1].Range);
        Assert.Equal(files[Weights], File.ReadAllBytes(Path.Combine(resolved.Folder, Weights)));
    }

    [Fact]
    public async Task Download_interrupted_on_one_start_resumes_from_the_incomplete_file_on_the_next()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        const long cut = 12_345;
        using var hub = StartHub(files);
        hub.CutConnection(Weights, cut, times: 1);
        var oneAttempt = Options(hub);
        oneAttempt.MaxAttempts = 1;

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => ResolveAsync(oneAttempt));
        Assert.Contains(Weights, error.Message, StringComparison.Ordinal);
        string snapshot = Path.Combine(RepoFolder, "snapshots", HubRepoFiles.Commit);
        Assert.Equal(files[Weights][..(int)cut], File.ReadAllBytes(Path.Combine(snapshot, Weights + ".incomplete")));
        Assert.False(File.Exists(Path.Combine(RepoFolder, "refs", "main")));

        var resolved = await ResolveAsync(Options(hub));

        Assert.Equal($"bytes={cut}-", hub.BlobRequests(Weights)[^1].Range);
        Assert.Equal(files[Weights], File.ReadAllBytes(Path.Combine(resolved.Folder, Weights)));
        Assert.False(File.Exists(Path.Combine(snapshot, Weights + ".incomplete")));
    }

    [Fact]
    public async Task Resume_answered_with_the_whole_file_replaces_the_partial_bytes()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        using var hub = StartHub(files);
        hub.CutConnection(Weights, 5_000, times: 1);
        hub.IgnoreRange = true;

        var resolved = await ResolveAsync(Options(hub));

        Assert.Equal("bytes=5000-", hub.BlobRequests(Weights)[^1].Range);
        Assert.Equal(files[Weights], File.ReadAllBytes(Path.Combine(resolved.Folder, Weights)));
    }

    [Fact]
    public async Task Corrupted_content_is_discarded_and_downloaded_again()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        using var hub = StartHub(files);
        hub.Corrupt(Weights, times: 1);

        var resolved = await ResolveAsync(Options(hub));

        var blobRequests = hub.BlobRequests(Weights);
        Assert.Equal(2, blobRequests.Count);
        Assert.All(blobRequests, r => Assert.Null(r.Range));
        Assert.Equal(files[Weights], File.ReadAllBytes(Path.Combine(resolved.Folder, Weights)));
    }

    [Fact]
    public async Task Content_that_stays_corrupt_fails_after_the_bounded_attempts_naming_file_and_hash()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        using var hub = StartHub(files);
        hub.Corrupt(Weights, times: int.MaxValue);
        var options = Options(hub);
        options.MaxAttempts = 3;

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => ResolveAsync(options));

        Assert.Contains(Weights, error.Message, StringComparison.Ordinal);
        Assert.Contains("3 attempt", error.Message, StringComparison.Ordinal);
        Assert.Contains($"does not match the expected {FakeHub.Sha256Hex(files[Weights])}", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, hub.BlobRequests(Weights).Count);
        string snapshot = Path.Combine(RepoFolder, "snapshots", HubRepoFiles.Commit);
        Assert.False(File.Exists(Path.Combine(snapshot, Weights)));
        Assert.False(File.Exists(Path.Combine(snapshot, Weights + ".incomplete")));
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, null, "set HF_TOKEN")]
    [InlineData(HttpStatusCode.Forbidden, "hf_wrong", "token in HF_TOKEN was refused")]
    public async Task Access_denied_says_gated_or_private(HttpStatusCode status, string? token, string advice)
    {
        using var hub = StartHub(HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny));
        hub.ForcedStatus = status;

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => ResolveAsync(Options(hub, token)));

        Assert.Contains(Id, error.Message, StringComparison.Ordinal);
        Assert.Contains("gated or private", error.Message, StringComparison.Ordinal);
        Assert.Contains(advice, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_revision_says_model_or_revision_not_found()
    {
        using var hub = StartHub(HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny));

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => ResolveAsync(Options(hub), revision: "v9"));

        Assert.Contains("'v9'", error.Message, StringComparison.Ordinal);
        Assert.Contains("model or revision not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_is_sent_as_a_bearer_header_including_same_host_redirects()
    {
        using var hub = StartHub(HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny));

        await ResolveAsync(Options(hub, token: "hf_secret"));

        Assert.NotEmpty(hub.BlobRequests(Weights));
        Assert.All(hub.Requests, r => Assert.Equal("Bearer hf_secret", r.Authorization));
    }

    [Fact]
    public async Task Token_is_not_forwarded_to_a_redirect_target_on_another_host()
    {
        var files = HubRepoFiles.Checkpoint(SyntheticModelSpec.Tiny);
        using var hub = FakeHub.Start(cdnOnOtherHost: true);
        hub.AddRepo(Id, HubRepoFiles.Commit, files);

        var resolved = await ResolveAsync(Options(hub, token: "hf_secret"));

        Assert.Equal(files[Weights], File.ReadAllBytes(Path.Combine(resolved.Folder, Weights)));
        var byServer = hub.Requests.ToLookup(r => r.Server);
        Assert.NotEmpty(byServer["cdn"]);
        Assert.All(byServer["cdn"], r => Assert.Null(r.Authorization));
        Assert.All(byServer["hub"], r => Assert.Equal("Bearer hf_secret", r.Authorization));
    }

    private static FakeHub StartHub(IReadOnlyDictionary<string, byte[]> files)
    {
        var hub = FakeHub.Start();
        hub.AddRepo(Id, HubRepoFiles.Commit, files);
        return hub;
    }

    private ModelSourceOptions Options(FakeHub hub, string? token = null) => new()
    {
        CacheDirectory = _cache.Path,
        Endpoint = hub.Endpoint,
        Token = token,
        RetryDelay = TimeSpan.Zero,
    };

    private async Task<ResolvedModel> ResolveAsync(ModelSourceOptions options, IProgress<DownloadProgress>? progress = null, string? revision = null)
    {
        using var source = new ModelSource(options);
        return await source.ResolveAsync(Id, revision, progress, _guard.Token);
    }
}
