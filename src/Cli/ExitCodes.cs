namespace LlmQueue.Cli;

internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Unexpected failure: broker unreachable, engine failed to start, and the like.</summary>
    public const int Error = 1;

    /// <summary>The worker answered with GenerateFailed (bad request, prompt too long, ...).</summary>
    public const int GenerationFailed = 3;

    /// <summary>Ctrl+C.</summary>
    public const int Cancelled = 130;
}
