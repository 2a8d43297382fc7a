namespace LlmQueue.Engine.Runners;

public static class ModelRunnerExtensions
{
    /// <summary>Launches a step and waits for it: the synchronous use of the contract.</summary>
    public static StepOutputs Execute(this IModelRunner runner, ForwardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(batch);
        runner.Launch(batch);
        runner.Collect(batch);
        return batch.Outputs;
    }
}
