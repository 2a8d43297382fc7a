using System.Diagnostics;
using System.Text;
using LlmQueue.Contracts;
using LlmQueue.Serving.Admission;
using LlmQueue.TestKit.Serving;
using LlmQueue.Transport;
using Microsoft.Extensions.DependencyInjection;

namespace LlmQueue.Integration.Tests.Conformance;

/// <summary>
/// What every transport must do, driven by a producer that uses only the broker's own client: ordered streaming and
/// settle-after-final-reply, bad input answered once and dead-lettered with a reason, transient faults retried with a
/// higher attempt then dead-lettered, cancels fanned out and remembered, drain and redelivery, admission by engine
/// capacity, and replies to addresses that cannot take them. Each transport's test class inherits this.
/// </summary>
public abstract class TransportConformance(ITransportTestBed bed)
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    protected ITransportTestBed Bed => bed;

    [Fact]
    public async Task Streamed_request_gets_ordered_chunks_then_one_completion_and_is_settled_only_after_the_last_reply()
    {
        var queue = NewQueue();
        var engine = new ScriptedEngine();
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine);
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("stream", producer.ReplyQueue, stream: true));
        var generation = await engine.NextSubmittedAsync();
        generation.Emit("a");
        Assert.Equal((nameof(TokenChunk), 0, "a"), Chunk(await producer.NextAsync()));
        // Broker statistics may lag; the generation is held until the test finishes it, so this cannot pass by timing.
        await EventuallyAsync(async () => await bed.UnsettledAsync(queue) == 1);

        generation.Emit("b");
        generation.Finish(Engine.FinishReason.Length);
        Assert.Equal((nameof(TokenChunk), 1, "b"), Chunk(await producer.NextAsync()));
        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), "stream", 1, "ab"), (completed.Type, completed.Text("requestId"), completed.Number("attempt"), completed.Text("text")));
        await EventuallyAsync(async () => await bed.UnsettledAsync(queue) == 0);
    }

    public static TheoryData<string, string, string, string, bool, string, string> UnreadableBodies => new()
    {
        // name, body before the bad bytes, bad bytes (hex), body after; sent with a transport reply_to; expected code; word in the message
        { "invalid utf-8", "{\"requestId\":\"abc", "8081", "\",\"prompt\":\"x\",\"replyTo\":\"REPLY\"}", false, ErrorCodes.MalformedMessage, "UTF-8" },
        { "invalid utf-8 inside replyTo", "{\"requestId\":\"abc\",\"prompt\":\"x\",\"replyTo\":\"q", "C328", "\"}", true, ErrorCodes.MalformedMessage, "UTF-8" },
        { "json null", "null", "", "", true, ErrorCodes.MalformedMessage, "null" },
        { "not json", "{ this is not json", "", "", true, ErrorCodes.MalformedMessage, "JSON" },
        { "array", "[1,2,3]", "", "", true, ErrorCodes.MalformedMessage, "array" },
        { "wrong type", "{\"requestId\":\"t\",\"prompt\":\"p\",\"replyTo\":\"REPLY\",\"sampling\":{\"maxTokens\":\"abc\"}}", "", "", false, ErrorCodes.MalformedMessage, "maxTokens" },
        { "deeply nested", new string('[', 5000) + new string(']', 5000), "", "", true, ErrorCodes.MalformedMessage, "depth" },
        { "too large", "{\"requestId\":\"big\",\"prompt\":\"" + new string('x', 2 << 20) + "\"}", "", "", true, ErrorCodes.MessageTooLarge, "bytes" },
    };

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task Unreadable_body_is_answered_once_and_dead_lettered_with_its_reason(
        string name, string before, string badBytes, string after, bool transportReplyTo, string code, string mentioned)
    {
        var queue = NewQueue();
        var engine = new ScriptedEngine { AutoDeltas = ["ok"] };
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine);
        await using var producer = await bed.ConnectProducerAsync();
        byte[] body = [.. Utf8(before.Replace("REPLY", producer.ReplyQueue, StringComparison.Ordinal)), .. Convert.FromHexString(badBytes),
            .. Utf8(after.Replace("REPLY", producer.ReplyQueue, StringComparison.Ordinal))];

        await producer.PublishAsync(queue, body, ContractCodec.JsonContentType, transportReplyTo ? producer.ReplyQueue : null, messageId: name);

        var failed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateFailed), code), (failed.Type, failed.Text("code")));
        Assert.Contains(mentioned, failed.Text("message"), StringComparison.OrdinalIgnoreCase);
        var dead = Assert.Single(await bed.TakeDeadLettersAsync(queue, 1, Timeout));
        Assert.Equal((code, name), (dead.Reason, dead.MessageId));
        await AssertStillServingAsync(queue, producer);
        Assert.Equal(1, engine.SubmitCalls);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("a#b")]
    [InlineData("café")]
    [InlineData("control\u0001char")]
    public async Task Unusable_body_reply_to_is_answered_invalid_request_on_the_transport_reply_to(string replyTo)
    {
        var queue = NewQueue();
        var engine = new ScriptedEngine { AutoDeltas = ["ok"] };
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine);
        await using var producer = await bed.ConnectProducerAsync();
        var json = System.Text.Json.JsonSerializer.Serialize(new { requestId = "bad-reply", prompt = "p", replyTo });

        await producer.PublishAsync(queue, Utf8(json), ContractCodec.JsonContentType, transportReplyTo: producer.ReplyQueue);

        var failed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateFailed), "bad-reply", ErrorCodes.InvalidRequest), (failed.Type, failed.Text("requestId"), failed.Text("code")));
        Assert.Contains("replyTo", failed.Text("message"), StringComparison.Ordinal);
        await AssertStillServingAsync(queue, producer);
        Assert.Equal(1, engine.SubmitCalls);
    }

    [Fact]
    public async Task Reply_to_longer_than_255_characters_with_no_other_address_is_dead_lettered()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(bed, queue, new ScriptedEngine { AutoDeltas = ["ok"] });
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, $$$"""{"requestId":"long-reply","prompt":"p","replyTo":"{{{new string('q', 300)}}}"}""");

        var dead = Assert.Single(await bed.TakeDeadLettersAsync(queue, 1, Timeout));
        Assert.Equal("invalid_reply_address", dead.Reason);
        Assert.Contains("300", dead.Description, StringComparison.Ordinal);
        await AssertStillServingAsync(queue, producer);
    }

    [Fact]
    public async Task Request_with_no_reply_address_is_dead_lettered()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(bed, queue, new ScriptedEngine { AutoDeltas = ["ok"] });
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, """{"requestId":"nowhere","prompt":"p"}""");

        Assert.Equal("no_reply_address", Assert.Single(await bed.TakeDeadLettersAsync(queue, 1, Timeout)).Reason);
        await AssertStillServingAsync(queue, producer);
    }

    [Fact]
    public async Task Reply_queue_that_does_not_exist_dead_letters_the_request_and_the_worker_keeps_serving()
    {
        var queue = NewQueue();
        var engine = new ScriptedEngine { AutoDeltas = ["ok"] };
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine);
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("lost-replies", $"no-such-queue-{Guid.NewGuid():N}", stream: true));

        var dead = Assert.Single(await bed.TakeDeadLettersAsync(queue, 1, Timeout));
        Assert.Equal("reply_undeliverable", dead.Reason);
        await AssertStillServingAsync(queue, producer);
        // The follow-up is settled just after its reply went out.
        await EventuallyAsync(async () => await bed.UnsettledAsync(queue) == 0);
    }

    [Fact]
    public async Task Body_with_a_utf8_byte_order_mark_is_served()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(bed, queue, new ScriptedEngine { AutoDeltas = ["ok"] });
        await using var producer = await bed.ConnectProducerAsync();

        byte[] body = [0xEF, 0xBB, 0xBF, .. Request("bom", producer.ReplyQueue)];
        await producer.PublishAsync(queue, body);

        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), "bom"), (completed.Type, completed.Text("requestId")));
    }

    [Fact]
    public async Task Masstransit_content_type_on_a_plain_body_gets_a_plain_reply_with_the_type_header()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(bed, queue, new ScriptedEngine { AutoDeltas = ["ok"] });
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("mt-plain", producer.ReplyQueue), ContractCodec.EnvelopeContentType);

        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), ContractCodec.JsonContentType, "mt-plain"), (completed.Type, completed.ContentType, completed.Text("requestId")));
    }

    [Fact]
    public async Task Masstransit_envelope_gets_enveloped_replies_at_its_response_address()
    {
        var queue = NewQueue();
        await using var worker = await WorkerInstance.StartAsync(bed, queue, new ScriptedEngine { AutoDeltas = ["ok"] });
        await using var producer = await bed.ConnectProducerAsync();
        var envelope = $$$"""
            {"messageId":"{{{Guid.NewGuid()}}}","messageType":["urn:message:LlmQueue.Contracts:GenerateRequest"],
             "responseAddress":"rabbitmq://localhost/{{{producer.ReplyQueue}}}?temporary=true",
             "message":{"requestId":"enveloped","prompt":"p","stream":true}}
            """;

        await producer.PublishAsync(queue, Utf8(envelope), ContractCodec.EnvelopeContentType);

        var chunk = await producer.NextAsync();
        Assert.Equal((nameof(TokenChunk), ContractCodec.EnvelopeContentType, "enveloped"), (chunk.Type, chunk.ContentType, chunk.Text("requestId")));
        Assert.Equal(nameof(GenerateCompleted), (await producer.NextAsync()).Type);
    }

    [Fact]
    public async Task Cancel_published_while_the_request_waited_in_the_broker_answers_it_cancelled_without_running_it()
    {
        var queue = NewQueue();
        var engine = new ScriptedEngine { AutoDeltas = ["ok"] };
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine);
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishCancelAsync("llmq-cancel", "cancelled-early");
        var memory = worker.Services.GetRequiredService<CancelMemory>();
        await EventuallyAsync(() => Task.FromResult(memory.WasCancelled("cancelled-early")));
        await producer.PublishAsync(queue, Request("cancelled-early", producer.ReplyQueue, stream: true));

        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), "cancelled-early", FinishReasons.Cancelled), (completed.Type, completed.Text("requestId"), completed.Text("finishReason")));
        Assert.Equal(0, engine.SubmitCalls);
    }

    [Fact]
    public async Task Cancel_reaches_the_replica_running_the_request_among_two()
    {
        var queue = NewQueue();
        var first = new ScriptedEngine();
        var second = new ScriptedEngine();
        await using var a = await WorkerInstance.StartAsync(bed, queue, first);
        await using var b = await WorkerInstance.StartAsync(bed, queue, second);
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("running", producer.ReplyQueue, stream: true));
        var generation = await Task.WhenAny(first.NextSubmittedAsync(), second.NextSubmittedAsync()).Unwrap();
        generation.Emit("t");
        Assert.Equal(nameof(TokenChunk), (await producer.NextAsync()).Type);

        await producer.PublishCancelAsync("llmq-cancel", "running");

        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), FinishReasons.Cancelled, "t"), (completed.Type, completed.Text("finishReason"), completed.Text("text")));
        Assert.Contains("running", first.CancelCalls.Concat(second.CancelCalls));
    }

    [Fact]
    public async Task Engine_fault_is_returned_for_a_higher_attempt_then_answered_internal_error_and_dead_lettered()
    {
        var queue = NewQueue();
        var engine = new ScriptedEngine
        {
            Reject = request => request.RequestId == "faulty" ? new InvalidOperationException("engine bug") : null,
            AutoDeltas = ["ok"],
        };
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine, "--Transport:RetryLimit=2");
        await using var producer = await bed.ConnectProducerAsync();

        await producer.PublishAsync(queue, Request("faulty", producer.ReplyQueue));

        var failed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateFailed), ErrorCodes.Internal, 3), (failed.Type, failed.Text("code"), failed.Number("attempt")));
        Assert.DoesNotContain("engine bug", failed.Text("message"), StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.Internal, Assert.Single(await bed.TakeDeadLettersAsync(queue, 1, Timeout)).Reason);
        Assert.Equal(3, engine.SubmitCalls);
        await AssertStillServingAsync(queue, producer);
    }

    [Fact]
    public async Task Stopping_mid_generation_returns_the_request_and_another_replica_finishes_it_as_attempt_2()
    {
        var queue = NewQueue();
        var stopping = new ScriptedEngine();
        await using var producer = await bed.ConnectProducerAsync();
        var first = await WorkerInstance.StartAsync(bed, queue, stopping, "--Transport:DrainTimeoutSeconds=0");

        await producer.PublishAsync(queue, Request("drained", producer.ReplyQueue, stream: true));
        var generation = await stopping.NextSubmittedAsync();
        generation.Emit("first");
        Assert.Equal((nameof(TokenChunk), 0, "first"), Chunk(await producer.NextAsync()));

        // The held generation never finishes by itself: the stop must cancel it and hand the delivery back.
        await first.StopAsync().WaitAsync(Timeout);
        await first.DisposeAsync();
        Assert.Equal(["drained"], stopping.CancelCalls);

        await using var second = await WorkerInstance.StartAsync(bed, queue, new ScriptedEngine { AutoDeltas = ["again"] });
        var chunk = await producer.NextAsync();
        Assert.Equal((nameof(TokenChunk), 0, 2), (chunk.Type, chunk.Number("seq"), chunk.Number("attempt")));
        var completed = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), 2, "again"), (completed.Type, completed.Number("attempt"), completed.Text("text")));
    }

    [Fact]
    public async Task Deliveries_held_never_exceed_the_running_request_limit_and_submissions_follow_free_capacity()
    {
        var queue = NewQueue();
        var engine = new ScriptedEngine();
        engine.SetAvailableSlots(1);
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine, "--Engine:MaxRunningRequests=2");
        await using var producer = await bed.ConnectProducerAsync();

        for (var i = 0; i < 5; i++)
        {
            await producer.PublishAsync(queue, Request($"r{i}", producer.ReplyQueue));
        }

        var first = await engine.NextSubmittedAsync();
        // A transport that follows the engine's capacity holds only the one the engine could start; the others hold up
        // to the running-request limit (two), the second waiting at the admission gate.
        var held = bed.FollowsEngineCapacity ? 1 : 2;
        await EventuallyAsync(async () => await bed.UnsettledAsync(queue) == held);
        Assert.Equal(1, engine.SubmitCalls);

        var finished = 0;
        engine.SetAvailableSlots(1);
        first.Finish(Engine.FinishReason.Length);
        for (var next = first; finished < 4; finished++)
        {
            Assert.Equal(nameof(GenerateCompleted), (await producer.NextAsync()).Type);
            next = await engine.NextSubmittedAsync();
            Assert.True(await bed.UnsettledAsync(queue) <= 2);
            next.Finish(Engine.FinishReason.Length);
        }

        Assert.Equal(nameof(GenerateCompleted), (await producer.NextAsync()).Type);
        Assert.Equal(5, engine.SubmitCalls);
    }

    [Fact]
    public async Task Randomized_barrage_of_malformed_messages_is_dead_lettered_exactly_once_and_the_worker_still_serves()
    {
        const int count = 1000;
        var queue = NewQueue();
        var engine = new ScriptedEngine { AutoDeltas = ["ok"] };
        await using var worker = await WorkerInstance.StartAsync(bed, queue, engine);
        await using var producer = await bed.ConnectProducerAsync();
        var generator = new MalformedMessageGenerator(seed: 20261130, producer.ReplyQueue);

        for (var i = 0; i < count; i++)
        {
            var message = generator.Next();
            await producer.PublishAsync(queue, message.Body, message.ContentType, message.TransportReplyTo, messageId: $"m{i}");
        }

        // The two minutes only bound a hang: the barrage takes seconds.
        var dead = await bed.TakeDeadLettersAsync(queue, count, TimeSpan.FromMinutes(2));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}").Order(), dead.Select(d => d.MessageId!).Order());
        Assert.All(dead, d => Assert.False(string.IsNullOrEmpty(d.Reason)));

        // Behaviour, not timing: every reply to the barrage answers a first delivery (a receive path that stalls lets
        // locks lapse, and the messages come back as later attempts), and a valid request sent after it is served once.
        await producer.PublishAsync(queue, Request("after-barrage", producer.ReplyQueue));
        RawReply reply;
        var failures = new List<RawReply>();
        while ((reply = await producer.NextAsync()).Type == nameof(GenerateFailed))
        {
            failures.Add(reply);
        }

        Assert.Equal((nameof(GenerateCompleted), "after-barrage"), (reply.Type, reply.Text("requestId")));
        Assert.NotEmpty(failures);
        Assert.All(failures, failure => Assert.Equal(1, failure.Number("attempt")));
        var named = failures.Select(failure => failure.Text("requestId")).Where(id => id.Length > 0).ToList();
        Assert.Equal(named.Count, named.Distinct().Count());
        Assert.Equal(1, engine.SubmitCalls);
    }

    protected static string NewQueue() => $"llmq-ct-{Guid.NewGuid():N}";

    protected static byte[] Request(string id, string replyTo, bool stream = false) =>
        Utf8($$$"""{"requestId":"{{{id}}}","prompt":"p","stream":{{{(stream ? "true" : "false")}}},"replyTo":"{{{replyTo}}}","sampling":{"maxTokens":4}}""");

    protected static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A valid request sent now is served: the next reply is its completion.</summary>
    protected static async Task AssertStillServingAsync(string queue, RawProducer producer)
    {
        var id = $"follow-up-{Guid.NewGuid():N}";
        await producer.PublishAsync(queue, Request(id, producer.ReplyQueue));
        var reply = await producer.NextAsync();
        Assert.Equal((nameof(GenerateCompleted), id), (reply.Type, reply.Text("requestId")));
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; the deadline only bounds a hang.</summary>
    protected static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < Timeout, "the condition did not hold within " + Timeout);
            await Task.Delay(20);
        }
    }

    private static (string Type, int Seq, string Text) Chunk(RawReply reply) =>
        (reply.Type, reply.Type == nameof(TokenChunk) ? reply.Number("seq") : -1, reply.Type == nameof(TokenChunk) ? reply.Text("textDelta") : "");
}
