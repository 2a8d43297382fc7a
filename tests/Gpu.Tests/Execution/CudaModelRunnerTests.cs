using LlmQueue.Gpu.Execution;

namespace LlmQueue.Gpu.Tests.Execution;

/// <summary>The runner's own behaviour on the fake driver: graph replays, page copies, sizing and misuse.</summary>
public class CudaModelRunnerTests
{
    [Theory]
    [InlineData("tiny-llama3")]
    [InlineData("tiny-gemma3")]
    public void Decode_steps_replayed_from_graphs_give_what_direct_launches_give(string preset)
    {
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset(preset));
        using var graphed = new RunnerHarness(FakeRunners.Create(checkpoint.Model, 4, 48, graphs: true), shuffleSeed: 3);
        using var direct = new RunnerHarness(FakeRunners.Create(checkpoint.Model, 4, 48, graphs: false), shuffleSeed: 3);
        var vocab = checkpoint.Model.Config.VocabSize;
        var random = new Random(4);
        var sampling = Enumerable.Range(0, 3).Select(s => new SamplingParameters { Temperature = 0.9f, TopP = 0.9f, RepetitionPenalty = 1.1f, Seed = (ulong)s, Logprobs = 2 }).ToArray();
        var prompts = Enumerable.Range(0, 3).Select(s => Enumerable.Range(0, 5 + s).Select(_ => random.Next(vocab)).ToArray()).ToArray();
        var first = graphed.Step([.. Enumerable.Range(0, 3).Select(s => new HarnessChunk(s, prompts[s], sampling[s]))]);
        direct.Step([.. Enumerable.Range(0, 3).Select(s => new HarnessChunk(s, prompts[s], sampling[s]))]);
        var runner = (CudaModelRunner)graphed.Runner;
        Assert.False(runner.LastStepReplayedGraph);
        var next = first.ToDictionary(e => e.Key, e => e.Value.Token);
        for (int step = 0; step < 6; step++)
        {
            // Three sequences replay the bucket of 4 (one padded row); then two replay the bucket of 2.
            int sequences = step < 3 ? 3 : 2;
            var work = Enumerable.Range(0, sequences).Select(s => new HarnessChunk(s, [next[s]], sampling[s])).ToArray();
            var a = graphed.Step(work);
            var b = direct.Step(work);
            Assert.True(runner.LastStepReplayedGraph);
            foreach (var (sequence, row) in a)
            {
                Assert.Equal(b[sequence].Token, row.Token);
                Assert.Equal(b[sequence].Logprob, row.Logprob);
                Assert.Equal(b[sequence].TopTokenIds, row.TopTokenIds);
                next[sequence] = row.Token;
            }
        }

        Assert.Equal(2, runner.GraphsCaptured);
    }

    [Fact]
    public void A_page_written_reads_back_and_misuse_is_refused()
    {
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset("tiny-gemma2"));
        using var runner = FakeRunners.Create(checkpoint.Model, 4, 8);
        Assert.Equal(new KvPageFormat(TensorDType.BF16, KvPageFormat.HeadMajorLayout), runner.KvPageFormat);
        for (int type = 0; type < runner.KvLayout.TypeCount; type++)
        {
            var bytes = new byte[runner.KvLayout.SmallPageBytes(type)];
            new Random(type).NextBytes(bytes);
            int last = (runner.KvLargePages * runner.KvLayout.SmallPagesPerLargePage(type)) - 1;
            runner.WriteKvPage(type, last, bytes);
            var back = new byte[bytes.Length];
            runner.ReadKvPage(type, last, back);
            Assert.Equal(bytes, back);
            Assert.Throws<ArgumentOutOfRangeException>(() => runner.ReadKvPage(type, last + 1, back));
            Assert.Throws<ArgumentException>(() => runner.WriteKvPage(type, 0, bytes.AsSpan(1)));
        }

        var batch = new ForwardBatch();
        batch.Add(new SequenceChunk(new[] { 1 }, 0, Enumerable.Repeat(0, runner.KvLayout.TypeCount).ToArray(), true), new SamplingRow(new SamplingParameters(), new[] { 1 }, 1));
        runner.Launch(batch);
        Assert.Throws<InvalidOperationException>(() => runner.Launch(batch));
        Assert.Throws<InvalidOperationException>(() => runner.ReadKvPage(0, 0, new byte[runner.KvLayout.SmallPageBytes(0)]));
        Assert.Throws<InvalidOperationException>(() => runner.Collect(new ForwardBatch()));
        runner.Collect(batch);
        Assert.Equal(1, batch.Outputs.Rows);
    }

    [Fact]
    public void Without_a_fixed_size_the_kv_cache_gets_the_memory_share_left_after_the_weights()
    {
        using var checkpoint = Checkpoint.Write(SyntheticModelSpec.Preset("tiny-llama3"));
        using var backend = new LlmQueue.Gpu.Devices.ReferenceBackend(new LlmQueue.Gpu.Driver.CudaDeviceInfo(0, "fake 256 MiB", 9, 0, 8, 256L << 20, 48 << 10, 227 << 10, 4 << 20, 12080));
        var settings = new CudaRunnerSettings(16, MaxBatchTokens: 64, MaxSequences: 8, MemoryUtilization: 0.5);
        using (var runner = new CudaModelRunner(backend, checkpoint.Model, settings))
        {
            var (free, total) = backend.Cuda.MemoryInfo();
            long kvBytes = (long)runner.KvLargePages * runner.KvLayout.LargePageBytes;
            Assert.True(total - free <= total / 2, $"{total - free} bytes in use exceed half of {total}");
            Assert.True(total - free + runner.KvLayout.LargePageBytes > total / 2, "the KV cache left most of its share unused");
            Assert.True(kvBytes > 0);
        }

        Assert.Equal(0, backend.Fake.Memory.LiveAllocations);
        var tooSmall = settings with { MemoryUtilization = 1e-9 };
        var error = Assert.Throws<LlmQueue.Engine.EngineStartException>(() => new CudaModelRunner(backend, checkpoint.Model, tooSmall));
        Assert.Contains("GpuMemoryUtilization", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, backend.Fake.Memory.LiveAllocations);
    }
}
