using LlmQueue.Contracts;
using LlmQueue.Engine;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Serving.Tests;

public sealed class BadInputTests
{
    public static TheoryData<string, GenerateRequest, string, string> StructuralCases => new()
    {
        { "missing id", new GenerateRequest { Prompt = "p" }, ErrorCodes.InvalidRequest, "requestId" },
        { "no prompt", new GenerateRequest { RequestId = "r" }, ErrorCodes.InvalidRequest, "got none" },
        { "two prompts", new GenerateRequest { RequestId = "r", Prompt = "p", PromptTokenIds = [1] }, ErrorCodes.InvalidRequest, "got 2" },
        { "prompt and messages", new GenerateRequest { RequestId = "r", Prompt = "p", Messages = [new ChatMessage("user", "hi")] }, ErrorCodes.InvalidRequest, "got 2" },
        { "message without role", new GenerateRequest { RequestId = "r", Messages = [new ChatMessage("", "hi")] }, ErrorCodes.InvalidRequest, "role" },
        { "other model", new GenerateRequest { RequestId = "r", Prompt = "p", Model = "gpt-9" }, ErrorCodes.ModelNotFound, "gpt-9" },
        { "no messages", new GenerateRequest { RequestId = "r", Messages = [] }, ErrorCodes.InvalidRequest, "at least one message" },
        { "null message", new GenerateRequest { RequestId = "r", Messages = [null!] }, ErrorCodes.InvalidRequest, "role" },
        { "unknown role", new GenerateRequest { RequestId = "r", Messages = [new ChatMessage("hacker", "hi")] }, ErrorCodes.InvalidRequest, "'hacker'" },
        { "role in capitals", new GenerateRequest { RequestId = "r", Messages = [new ChatMessage("USER", "hi")] }, ErrorCodes.InvalidRequest, "'USER'" },
        { "prompt too long in characters", new GenerateRequest { RequestId = "r", Prompt = new string('x', 600_000) }, ErrorCodes.PromptTooLong, "characters" },
    };

    [Theory]
    [MemberData(nameof(StructuralCases))]
    public async Task Request_the_real_engine_refuses_gets_one_failure_and_the_next_request_is_served(
        string name, GenerateRequest request, string code, string mentioned)
    {
        await using var host = await WorkerTestHost.StartAsync(engine: null);

        await host.SendAsync(request);

        var failed = await host.Replies.NextAsync<GenerateFailed>();
        Assert.Equal((request.RequestId, code), (failed.RequestId, failed.Code));
        Assert.Contains(mentioned, failed.Message, StringComparison.Ordinal);

        // The next reply on the queue being the follow-up's shows there was exactly one failure.
        await host.SendAsync(new GenerateRequest { RequestId = "after-" + name, Prompt = "p", Sampling = new SamplingParams { MaxTokens = 2 } });
        Assert.Equal("after-" + name, (await host.Replies.NextAsync<GenerateCompleted>()).RequestId);
    }

    [Theory]
    [InlineData(RejectionReason.InvalidRequest, ErrorCodes.InvalidRequest)]
    [InlineData(RejectionReason.PromptTooLong, ErrorCodes.PromptTooLong)]
    [InlineData(RejectionReason.DeadlineExceeded, ErrorCodes.DeadlineExceeded)]
    public async Task Engine_rejection_maps_to_its_error_code_with_the_engine_message(RejectionReason reason, string code)
    {
        var engine = new ScriptedEngine
        {
            Reject = request => request.RequestId == "bad" ? new RequestRejectedException(reason, "sampling.maxTokens must be > 0, got -1") : null,
            AutoDeltas = [],
        };
        await using var host = await WorkerTestHost.StartAsync(engine);

        await host.SendAsync(new GenerateRequest { RequestId = "bad", Prompt = "p", Sampling = new SamplingParams { MaxTokens = -1 } });

        var failed = await host.Replies.NextAsync<GenerateFailed>();
        Assert.Equal(("bad", code, "sampling.maxTokens must be > 0, got -1"), (failed.RequestId, failed.Code, failed.Message));
        await host.SendAsync(new GenerateRequest { RequestId = "good", Prompt = "p" });
        Assert.Equal("good", (await host.Replies.NextAsync<GenerateCompleted>()).RequestId);
    }
}
