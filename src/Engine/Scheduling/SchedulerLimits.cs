namespace LlmQueue.Engine.Scheduling;

/// <summary>Per-step limits.</summary>
public sealed record SchedulerLimits(int MaxBatchTokens, int MaxRunningRequests);
