using LlmQueue.Models.Weights;

namespace LlmQueue.Models.Sources;

/// <summary>Fills snapshots/&lt;commit&gt;/ with the checkpoint files the snapshot still lacks.</summary>
internal sealed class HubSnapshotDownloader(HubClient hub, HubFileDownloader downloader)
{
    public async Task<string> EnsureAsync(HubRepoId repo, HubRepoInfo info, HubCache cache, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        string snapshot = cache.SnapshotFolder(info.Commit);
        var files = CheckpointFiles.Select($"{repo}@{info.Commit}", info.Files);
        await FetchMissingAsync(repo, info.Commit, snapshot, files, progress, cancellationToken);
        if (files.Contains(WeightStore.IndexFileName))
        {
            string index = Path.Combine(snapshot, WeightStore.IndexFileName);
            var shards = CheckpointFiles.ShardsOf(index);
            var absent = shards.Where(s => !info.Files.Contains(s)).ToList();
            if (absent.Count > 0)
            {
                throw new ModelSourceException($"{repo}@{info.Commit}: {WeightStore.IndexFileName} lists shard(s) the repository lacks: {string.Join(", ", absent)}.");
            }

            await FetchMissingAsync(repo, info.Commit, snapshot, shards, progress, cancellationToken);
        }

        return snapshot;
    }

    private async Task FetchMissingAsync(HubRepoId repo, string commit, string snapshot, IEnumerable<string> files,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        foreach (string file in files)
        {
            string destination = Path.Combine(snapshot, file);
            if (!File.Exists(destination))
            {
                // By commit, not by revision: every file then comes from the same commit even if the branch moves meanwhile.
                await downloader.DownloadAsync(hub.ResolveUrl(repo, commit, file), destination, file, progress, cancellationToken);
            }
        }
    }
}
