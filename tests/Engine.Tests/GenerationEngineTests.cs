using LlmQueue.Engine.Sampling;
using LlmQueue.Models.Templates;
using LlmQueue.TestKit;

namespace LlmQueue.Engine.Tests;

public class GenerationEngineTests(TinyModelFixture model) : IClassFixture<TinyModelFixture>
{

    private static readonly string[] Prompts =
    [
        "The quick brown fox",
        "Once upon a time, in a land far away, there lived",
        "def fibonacci(n):",
        "Paged attention stores keys and values in fixed-size blocks so that",
        "Hi",
    ];

    [Fact]
    public Task Batched_decode_gives_the_same_tokens_as_one_request_at_a_time() =>
        EngineScenarios.BatchingKeepsTokensAsync(maxRunning => model.CreateEngine(maxRunning), Prompts, maxTokens: 24);

    [Fact]
    public async Task Preemption_by_recompute_does_not_change_outputs()
    {
        await using var roomy = model.CreateEngine(maxRunning: 8);
        var expected = await Task.WhenAll(Prompts.Select((p, i) => roomy.Submit(Request(p, seed: i, maxTokens: 40)).Completion));

        // Few blocks: the batch cannot grow without preempting its newest members (which then reuse
        // their still-cached blocks on re-admission).
        await using var tight = model.CreateEngine(maxRunning: 8, kvBlocks: 24, blockSize: 4);
        var actual = await Task.WhenAll(Prompts.Select((p, i) => tight.Submit(Request(p, seed: i, maxTokens: 40)).Completion));

        Assert.Equal(expected.Select(r => r.TokenIds), actual.Select(r => r.TokenIds));
        Assert.Equal(tight.GetStats().KvCapacityBytes, tight.GetStats().ReclaimableKvBytes);
    }

    [Fact]
    public async Task A_repeated_prompt_reuses_its_cached_prefix_and_generates_the_same_tokens()
    {
        var prompt = string.Join(' ', Prompts.Concat(Prompts));
        await using var cold = model.CreateEngine(prefixCaching: false);
        var expected = await cold.Submit(Request(prompt, seed: 5, maxTokens: 12)).Completion;

        await using var engine = model.CreateEngine(prefixCaching: true);
        var first = await engine.Submit(Request(prompt, seed: 5, maxTokens: 12)).Completion;
        var second = await engine.Submit(Request(prompt, seed: 5, maxTokens: 12)).Completion;

        Assert.Equal(0, first.CachedPromptTokens);
        // Every full block but the one holding the last prompt token (always recomputed for its logits).
        Assert.Equal((second.PromptTokens - 1) / 16 * 16, second.CachedPromptTokens);
        Assert.True(second.CachedPromptTokens > 0);
        Assert.Equal(expected.TokenIds, first.TokenIds);
        Assert.Equal(expected.TokenIds, second.TokenIds);
        Assert.Equal(second.CachedPromptTokens, engine.GetStats().CachedPromptTokens);
    }

    [Fact]
    public async Task Another_tenant_never_hits_a_prefix_cached_for_someone_else()
    {
        var prompt = string.Join(' ', Prompts.Concat(Prompts));
        await using var engine = model.CreateEngine(prefixCaching: true);
        await engine.Submit(Request(prompt, seed: 5) with { CacheSalt = "tenant-a" }).Completion;

        var other = await engine.Submit(Request(prompt, seed: 5) with { CacheSalt = "tenant-b" }).Completion;
        var same = await engine.Submit(Request(prompt, seed: 5) with { CacheSalt = "tenant-a" }).Completion;

        Assert.Equal(0, other.CachedPromptTokens);
        Assert.True(same.CachedPromptTokens > 0);
    }

    [Fact]
    public async Task Streamed_deltas_add_up_to_the_final_text_and_tokens()
    {
        await using var engine = model.CreateEngine();
        var handle = engine.Submit(Request(Prompts[1], seed: 3, maxTokens: 30));

        var text = new System.Text.StringBuilder();
        var tokens = new List<int>();
        await foreach (var delta in handle.Deltas.ReadAllAsync())
        {
            text.Append(delta.TextDelta);
            tokens.AddRange(delta.TokenIds);
        }

        var result = await handle.Completion;
        Assert.Equal(result.Text, text.ToString());
        Assert.Equal(result.TokenIds, tokens);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(30, result.CompletionTokens);
        Assert.Equal(model.Tokenizer.Encode(Prompts[1]).Count, result.PromptTokens);
    }

    [Fact]
    public async Task Stop_token_ids_end_generation_with_reason_stop()
    {
        await using var engine = model.CreateEngine();
        var free = await engine.Submit(Request(Prompts[0], seed: 11, maxTokens: 20)).Completion;
        var stopAt = free.TokenIds[5];

        var stopped = await engine.Submit(Request(Prompts[0], seed: 11, maxTokens: 20) with
        {
            Sampling = Request(Prompts[0], seed: 11, maxTokens: 20).Sampling with { StopTokenIds = [stopAt] },
        }).Completion;

        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(free.TokenIds.TakeWhile(t => t != stopAt).Append(stopAt), stopped.TokenIds);
    }

    [Fact]
    public async Task Cancel_finishes_a_running_request_as_cancelled()
    {
        // The runner holds the engine inside its third step until the cancel is in, so the request is mid-flight.
        using var cancelled = new ManualResetEventSlim();
        var runner = new FakeRunner(model.Model.Config, 16, 256);
        runner.OnLaunch = _ =>
        {
            if (runner.Steps == 2)
            {
                cancelled.Wait();
            }
        };
        await using var engine = model.CreateEngine(runner: runner);
        var handle = engine.Submit(Request(Prompts[2], seed: 1, maxTokens: 500));
        await handle.Deltas.ReadAsync();

        Assert.True(engine.Cancel(handle.RequestId));
        cancelled.Set();
        var result = await handle.Completion;

        Assert.Equal(FinishReason.Cancelled, result.FinishReason);
        Assert.InRange(result.CompletionTokens, 1, 3);
        Assert.False(engine.Cancel(handle.RequestId));
    }

    [Fact]
    public async Task A_passed_deadline_is_rejected_and_a_running_one_finishes_as_deadline()
    {
        var deadline = DateTimeOffset.UtcNow.AddMilliseconds(300);
        // Every step waits until the deadline has passed: the request cannot finish by length first.
        var runner = new FakeRunner(model.Model.Config, 16, 256)
        {
            OnLaunch = _ => SpinWait.SpinUntil(() => DateTimeOffset.UtcNow > deadline),
        };
        await using var engine = model.CreateEngine(runner: runner);
        var late = Request(Prompts[0], seed: 1) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) };
        var rejected = Assert.Throws<RequestRejectedException>(() => engine.Submit(late));
        Assert.Equal(RejectionReason.DeadlineExceeded, rejected.Reason);

        var handle = engine.Submit(Request(Prompts[0], seed: 1, maxTokens: 100) with { Deadline = deadline });
        var result = await handle.Completion;

        Assert.Equal(FinishReason.Deadline, result.FinishReason);
        Assert.True(result.CompletionTokens < 100);
    }

    [Fact]
    public async Task A_failing_step_fails_its_requests_and_the_engine_keeps_serving()
    {
        var failing = true;
        var runner = new FakeRunner(model.Model.Config, 16, 256) { FailWhen = _ => failing };
        await using var engine = model.CreateEngine(runner: runner);
        var failed = await engine.Submit(Request(Prompts[0], seed: 1)).Completion;
        failing = false;
        var served = await engine.Submit(Request(Prompts[0], seed: 1)).Completion;

        Assert.Equal(FinishReason.Error, failed.FinishReason);
        Assert.Contains("injected step failure", failed.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(FinishReason.Length, served.FinishReason);
        Assert.Equal(engine.GetStats().KvCapacityBytes, engine.GetStats().ReclaimableKvBytes);
    }

    [Fact]
    public async Task Logprobs_come_back_per_token_with_the_requested_alternatives_and_their_text()
    {
        await using var engine = model.CreateEngine();
        var request = Request(Prompts[1], seed: 2, maxTokens: 6);
        var handle = engine.Submit(request with { Sampling = request.Sampling with { Logprobs = 3 } });
        var streamed = new List<TokenLogprob>();
        await foreach (var delta in handle.Deltas.ReadAllAsync())
        {
            Assert.Equal(delta.TokenIds.Count, delta.Logprobs?.Count ?? 0);
            streamed.AddRange(delta.Logprobs ?? []);
        }

        var result = await handle.Completion;
        var plain = await engine.Submit(Request(Prompts[1], seed: 2, maxTokens: 6)).Completion;

        var logprobs = result.Logprobs!;
        Assert.Equal(result.TokenIds, logprobs.Select(l => l.TokenId));
        Assert.Equal(streamed, logprobs);
        Assert.All(logprobs, l =>
        {
            Assert.Equal(3, l.TopLogprobs.Count);
            Assert.Equal(model.Tokenizer.Decode([l.TokenId]), l.Token);
            Assert.All(l.TopLogprobs, c => Assert.Equal(model.Tokenizer.Decode([c.TokenId]), c.Token));
        });
        Assert.Null(plain.Logprobs);
        Assert.Equal(plain.TokenIds, result.TokenIds);
    }

    [Fact]
    public async Task Chat_messages_are_rendered_with_the_models_template_without_a_second_bos()
    {
        await using var engine = model.CreateEngine(chatTemplate: ChatTemplate.FromModelFolder(model.Folder));
        var request = Request("unused", seed: 1, maxTokens: 4) with
        {
            Prompt = null,
            Messages = [("system", "Be brief."), ("user", " Hello there ")],
        };

        var result = await engine.Submit(request).Completion;

        var rendered = "<|begin_of_text|><system>\nBe brief.\n<user>\nHello there\n<assistant>\n";
        Assert.Equal(model.Tokenizer.Encode(rendered, addSpecialTokens: false).Count, result.PromptTokens);
        Assert.Equal(4, result.CompletionTokens);
    }

    [Fact]
    public async Task Chat_messages_are_rejected_by_a_model_without_a_template()
    {
        await using var engine = model.CreateEngine();
        var request = Request("unused", seed: 1) with { Prompt = null, Messages = [("user", "hi")] };

        var error = Assert.Throws<RequestRejectedException>(() => engine.Submit(request));

        Assert.Contains("chat template", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("temperature", RejectionReason.InvalidRequest)]
    [InlineData("topP", RejectionReason.InvalidRequest)]
    [InlineData("maxTokens", RejectionReason.InvalidRequest)]
    [InlineData("promptTokenIds", RejectionReason.InvalidRequest)]
    [InlineData("prompt", RejectionReason.InvalidRequest)]
    [InlineData("prompt too long", RejectionReason.PromptTooLong)]
    [InlineData("logprobs", RejectionReason.InvalidRequest)]
    [InlineData("requestId", RejectionReason.InvalidRequest)]
    [InlineData("messages", RejectionReason.InvalidRequest)]
    [InlineData("model", RejectionReason.ModelNotFound)]
    public async Task Bad_requests_are_rejected_with_the_problem_named(string field, RejectionReason reason)
    {
        await using var engine = model.CreateEngine();
        var good = Request("hello", seed: 1);
        var bad = field switch
        {
            "temperature" => good with { Sampling = good.Sampling with { Temperature = float.NaN } },
            "topP" => good with { Sampling = good.Sampling with { TopP = 1.5f } },
            "maxTokens" => good with { Sampling = good.Sampling with { MaxTokens = 0 } },
            "promptTokenIds" => good with { Prompt = null, PromptTokenIds = [1, engine.Model.VocabSize] },
            "prompt" => good with { PromptTokenIds = [1, 2] },
            "logprobs" => good with { Sampling = good.Sampling with { Logprobs = 21 } },
            "requestId" => good with { RequestId = "  " },
            "messages" => good with { Prompt = null, Messages = [("user", null!)] },
            "model" => good with { Model = "another-model" },
            _ => good with { Prompt = null, PromptTokenIds = Enumerable.Repeat(5, engine.Model.ContextLength).ToArray() },
        };

        var error = Assert.Throws<RequestRejectedException>(() => engine.Submit(bad));

        Assert.Equal(reason, error.Reason);
        Assert.Contains(field.Split(' ')[0], error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, engine.GetStats().Running + engine.GetStats().Waiting);
    }

    private static GenerationRequest Request(string prompt, long seed, int maxTokens = 24) => new()
    {
        RequestId = Guid.NewGuid().ToString("N"),
        Prompt = prompt,
        Sampling = new SamplingSettings { Seed = seed, MaxTokens = maxTokens, Temperature = 0.8f, TopP = 0.95f, IgnoreEos = true },
    };
}
