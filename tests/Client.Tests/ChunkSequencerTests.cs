using LlmQueue.Client;
using LlmQueue.Contracts;

namespace LlmQueue.Client.Tests;

public class ChunkSequencerTests
{
    private readonly List<GenerationEvent> _events = [];

    [Fact]
    public void In_order_chunks_pass_through_and_completion_ends_the_stream()
    {
        var sequencer = new ChunkSequencer(expectChunks: true);
        sequencer.Accept(Replies.Chunk("r", 0, 0, "a", 1), _events);
        sequencer.Accept(Replies.Chunk("r", 0, 1, "b", 2), _events);
        sequencer.Accept(Replies.Completed("r", 0, "ab", 1, 2), _events);

        Assert.True(sequencer.IsFinished);
        Assert.Equal(["a", "b"], ChunkTexts());
        Assert.IsType<GenerationCompleted>(_events[^1]);
    }

    [Fact]
    public void Duplicates_are_dropped()
    {
        var sequencer = new ChunkSequencer(expectChunks: true);
        sequencer.Accept(Replies.Chunk("r", 0, 0, "a", 1), _events);
        sequencer.Accept(Replies.Chunk("r", 0, 0, "a", 1), _events);
        sequencer.Accept(Replies.Chunk("r", 0, 2, "c", 3), _events);
        sequencer.Accept(Replies.Chunk("r", 0, 2, "c", 3), _events);
        sequencer.Accept(Replies.Chunk("r", 0, 1, "b", 2), _events);

        Assert.Equal(["a", "b", "c"], ChunkTexts());
    }

    [Fact]
    public void Out_of_order_chunks_are_released_in_seq_order()
    {
        var sequencer = new ChunkSequencer(expectChunks: true);
        sequencer.Accept(Replies.Chunk("r", 0, 2, "c", 3), _events);
        sequencer.Accept(Replies.Chunk("r", 0, 1, "b", 2), _events);
        Assert.Empty(_events);

        sequencer.Accept(Replies.Chunk("r", 0, 0, "a", 1), _events);
        Assert.Equal(["a", "b", "c"], ChunkTexts());
    }

    [Fact]
    public void Completion_arriving_before_the_last_chunk_waits_for_it()
    {
        var sequencer = new ChunkSequencer(expectChunks: true);
        sequencer.Accept(Replies.Chunk("r", 0, 0, "a", 1), _events);
        sequencer.Accept(Replies.Completed("r", 0, "ab", 1, 2), _events);
        Assert.False(sequencer.IsFinished);

        sequencer.Accept(Replies.Chunk("r", 0, 1, "b", 2), _events);
        Assert.True(sequencer.IsFinished);
        Assert.Equal(["a", "b"], ChunkTexts());
        Assert.IsType<GenerationCompleted>(_events[^1]);
    }

    [Fact]
    public void Without_streaming_the_completion_finishes_at_once()
    {
        var sequencer = new ChunkSequencer(expectChunks: false);
        sequencer.Accept(Replies.Completed("r", 0, "ab", 1, 2), _events);

        Assert.True(sequencer.IsFinished);
        Assert.Single(_events);
    }

    [Fact]
    public void Higher_attempt_restarts_and_older_attempt_is_ignored()
    {
        var sequencer = new ChunkSequencer(expectChunks: true);
        sequencer.Accept(Replies.Chunk("r", 0, 0, "a", 1), _events);
        sequencer.Accept(Replies.Chunk("r", 0, 1, "b", 2), _events);
        sequencer.Accept(Replies.Chunk("r", 1, 0, "X", 7), _events);
        sequencer.Accept(Replies.Chunk("r", 0, 2, "c", 3), _events);
        sequencer.Accept(Replies.Completed("r", 0, "abc", 1, 2, 3), _events);
        Assert.False(sequencer.IsFinished);

        sequencer.Accept(Replies.Completed("r", 1, "X", 7), _events);

        Assert.True(sequencer.IsFinished);
        Assert.Equal(1, sequencer.Attempt);
        var restart = Assert.IsType<AttemptRestarted>(_events[2]);
        Assert.Equal(1, restart.Attempt);
        Assert.Equal(["a", "b", "X"], ChunkTexts());
        Assert.Equal(1, Assert.IsType<GenerationCompleted>(_events[^1]).Completion.Attempt);
    }

    [Fact]
    public void Failure_of_an_older_attempt_is_not_current()
    {
        var sequencer = new ChunkSequencer(expectChunks: true);
        sequencer.Accept(Replies.Chunk("r", 2, 0, "a", 1), _events);

        Assert.False(sequencer.IsCurrent(new GenerateFailed { RequestId = "r", Attempt = 1 }));
        Assert.True(sequencer.IsCurrent(new GenerateFailed { RequestId = "r", Attempt = 2 }));
    }

    private List<string> ChunkTexts() => _events.OfType<ChunkReceived>().Select(e => e.Chunk.TextDelta).ToList();
}
