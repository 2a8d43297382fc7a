using LlmQueue.TestKit.Serving;

namespace LlmQueue.Integration.Tests;

internal static class WorkerProcessArguments
{
    /// <summary>
    /// The worker executable on <paramref name="bed"/>'s broker and the tiny model, logging warnings and its host's
    /// lifecycle, with the operations endpoint off (workers of parallel tests would race for its default port 8080;
    /// a test that needs it passes its own port after these, and the last value wins).
    /// </summary>
    public static string[] For(ITransportTestBed bed, string queue) =>
    [
        "--Logging:LogLevel:Default=Warning",
        "--Operations:Port=0",
        "--Logging:LogLevel:LlmQueue.Serving.Hosting=Information",
        $"--Transport:RequestQueue={queue}",
        .. bed.WorkerArguments,
        .. WorkerInstance.TinyModel,
    ];
}
