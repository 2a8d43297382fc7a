namespace LlmQueue.Engine.Scheduling;

/// <summary>Higher priority first, then earlier arrival; a preempted sequence keeps its place.</summary>
internal sealed class WaitingOrder : IComparer<EngineSequence>
{
    public static WaitingOrder Instance { get; } = new();

    public int Compare(EngineSequence? x, EngineSequence? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var byPriority = y.Priority.CompareTo(x.Priority);
        return byPriority != 0 ? byPriority : x.ArrivalOrder.CompareTo(y.ArrivalOrder);
    }
}
