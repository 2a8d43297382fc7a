namespace LlmQueue.Engine.Scheduling;

public enum SequenceStatus
{
    Waiting,
    Running,
    Finished,
}
