using LlmQueue.Contracts;

namespace LlmQueue.Client;

/// <summary>One item of <see cref="InferenceClient.StreamEventsAsync"/>: a chunk, a restart, or the completion.</summary>
public abstract record GenerationEvent;

/// <summary>The next chunk of the current attempt, in Seq order, without duplicates.</summary>
public sealed record ChunkReceived(TokenChunk Chunk) : GenerationEvent;

/// <summary>
/// The worker restarted the request (redelivery after a crash): text received so far is void and
/// chunks start again at Seq 0 of <paramref name="Attempt"/>.
/// </summary>
public sealed record AttemptRestarted(int Attempt) : GenerationEvent;

/// <summary>The last event of a successful request.</summary>
public sealed record GenerationCompleted(GenerateCompleted Completion) : GenerationEvent;
