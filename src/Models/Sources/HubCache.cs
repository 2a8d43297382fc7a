namespace LlmQueue.Models.Sources;

/// <summary>
/// The huggingface_hub cache layout for one repository: snapshots/&lt;commit&gt;/&lt;file&gt; hold finished files
/// (partial ones end in .incomplete), refs/&lt;revision&gt; holds the commit the revision last resolved to, written
/// only once its snapshot is complete, so an offline start can find it.
/// </summary>
internal sealed class HubCache(string cacheDirectory, HubRepoId repo)
{
    public string RepoFolder { get; } = Path.Combine(cacheDirectory, repo.CacheFolderName);

    public string SnapshotFolder(string commit) => Path.Combine(RepoFolder, "snapshots", commit);

    /// <summary>The commit recorded for the revision (a commit resolves to itself), or null.</summary>
    public string? TryReadRef(string revision)
    {
        if (HubRevision.IsCommit(revision))
        {
            return revision;
        }

        string path = RefPath(revision);
        if (!File.Exists(path))
        {
            return null;
        }

        string commit = File.ReadAllText(path).Trim();
        return HubRevision.IsCommit(commit) ? commit : null;
    }

    public void WriteRef(string revision, string commit)
    {
        if (HubRevision.IsCommit(revision))
        {
            return;
        }

        // Write then rename, so a crash never leaves a truncated ref behind.
        string path = RefPath(revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".tmp";
        File.WriteAllText(temp, commit);
        File.Move(temp, path, overwrite: true);
    }

    private string RefPath(string revision) => Path.Combine(RepoFolder, "refs", revision.Replace('/', Path.DirectorySeparatorChar));
}
