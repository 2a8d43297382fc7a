namespace LlmQueue.Infra.Tests;

/// <summary>The checkout under test: the folder holding Queue.sln above the test binaries.</summary>
internal static class Repository
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    /// <summary>An absolute path from a repository-relative one written with '/'.</summary>
    public static string PathOf(string relativePath) =>
        Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>A repository-relative path with '/' separators.</summary>
    public static string RelativePathOf(string absolutePath) =>
        Path.GetRelativePath(Root, absolutePath).Replace(Path.DirectorySeparatorChar, '/');

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Queue.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Queue.sln above {AppContext.BaseDirectory}: these tests read the checkout.");
    }
}
