using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests;

internal static class WorkerProcessArguments
{
    /// <summary>The worker executable on <paramref name="bed"/>'s broker and the tiny model, logging warnings and its host's lifecycle.</summary>
    public static string[] For(ITransportTestBed bed, string queue) =>
    [
        "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:LlmQueue.Serving.Hosting=Information",
        $"--Transport:RequestQueue={queue}",
        .. bed.WorkerArguments,
        .. WorkerInstance.TinyModel,
    ];
}
