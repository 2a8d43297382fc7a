using System.Reflection;
using System.Runtime.Loader;
using static LlmQueue.Bench.TokenizerBenchmark;

namespace LlmQueue.Bench;

/// <summary>
/// Compares two builds of LlmQueue.Models.dll on cold encode, in one process: each build is loaded into its own
/// AssemblyLoadContext and the two take turns, pass by pass (a freshly loaded tokenizer, a full collection, one
/// cold pass over the corpus timed by the thread's CPU clock; the order swaps every round). The development VM's
/// speed drifts by up to 40% within minutes, so builds timed in separate runs, or even separate processes a minute
/// apart, cannot be told apart by a 10% change; paired passes seconds apart can. Reports each build's median and
/// in how many rounds B beat A.
/// </summary>
internal static class TokenizerAbBenchmark
{
    public static void Run(string assemblyA, string assemblyB, bool smoke, TextWriter output)
    {
        var rounds = smoke ? 1 : 21;
        var root = RepositoryRoot();
        var cache = FetchReferenceCache(root);
        var builds = new[] { new Build("A", assemblyA), new Build("B", assemblyB) };
        output.WriteLine($"A: {assemblyA}");
        output.WriteLine($"B: {assemblyB}");
        output.WriteLine($"cold encode, one thread, CPU time; {rounds} rounds, the builds alternating pass by pass");
        output.WriteLine("| tokenizer | corpus | MB | A median µs | B median µs | B / A | rounds B faster |");
        output.WriteLine("|---|---|---|---|---|---|---|");
        // The multilingual corpora and the licenses: the repository's 2.7 MB would make a round minutes long. The
        // smoke run (CI) only checks that both builds load and encode: the sample, no warm-up, one round.
        var corpora = Corpora(root, smoke)
            .Where(c => smoke ? c.Name.StartsWith("multilingual", StringComparison.Ordinal) : !c.Name.StartsWith("repository", StringComparison.Ordinal));
        foreach (var corpus in corpora)
        {
            foreach (var family in Families)
            {
                var json = TokenizerJson(cache, family);
                foreach (var build in smoke ? [] : builds)
                {
                    // The same warm-up as the main benchmark, so that both builds run tier-1 code.
                    WarmUpJit(() => build.Load(json), build.Encode, corpus);
                }

                var times = new List<double>[] { [], [] };
                for (var round = 0; round < rounds; round++)
                {
                    foreach (var index in round % 2 == 0 ? [0, 1] : new[] { 1, 0 })
                    {
                        var tokenizer = builds[index].Load(json);
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        var start = CpuClock.ThreadSeconds();
                        foreach (var document in corpus.Documents)
                        {
                            builds[index].Encode(tokenizer, document);
                        }

                        times[index].Add((CpuClock.ThreadSeconds() - start) * 1e6);
                    }
                }

                var bFaster = times[0].Zip(times[1]).Count(pair => pair.Second < pair.First);
                var (a, b) = (Stats.Median(times[0]), Stats.Median(times[1]));
                output.WriteLine($"| {family} | {corpus.Name} | {corpus.Megabytes:F3} | {a:F0} | {b:F0} | {b / a:F2} | {bFaster} of {rounds} |");
            }
        }
    }

    /// <summary>One build of the tokenizer, reached through reflection in its own load context.</summary>
    private sealed class Build
    {
        private readonly MethodInfo _fromFile;
        private readonly MethodInfo _encode;

        public Build(string name, string assemblyPath)
        {
            var context = new AssemblyLoadContext("tokenizer-" + name);
            var type = context.LoadFromAssemblyPath(Path.GetFullPath(assemblyPath)).GetType("LlmQueue.Models.Tokenization.Tokenizer")
                ?? throw new InvalidOperationException($"{assemblyPath} has no LlmQueue.Models.Tokenization.Tokenizer.");
            _fromFile = type.GetMethod("FromFile", [typeof(string)])
                ?? throw new InvalidOperationException($"{assemblyPath}: Tokenizer.FromFile(string) not found.");
            _encode = type.GetMethod("Encode", [typeof(string), typeof(bool)])
                ?? throw new InvalidOperationException($"{assemblyPath}: Tokenizer.Encode(string, bool) not found.");
        }

        public object Load(string tokenizerJson) => _fromFile.Invoke(null, [tokenizerJson])!;

        /// <summary>Encodes one document and returns its token count.</summary>
        public int Encode(object tokenizer, string document) =>
            ((IReadOnlyCollection<int>)_encode.Invoke(tokenizer, [document, false])!).Count;
    }
}
