namespace LlmQueue.Serving.Hosting;

/// <summary>The worker's process exit codes.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A bug: an exception nobody expected (its stack trace is printed).</summary>
    public const int Unexpected = 1;

    /// <summary>The configuration is invalid (one line says which key and why).</summary>
    public const int Configuration = 2;

    /// <summary>The model could not be resolved or loaded (one line says what, where and why).</summary>
    public const int Model = 3;

    /// <summary>The transport stayed faulted (e.g. its request queue was refused) for Transport:FaultedExitSeconds.</summary>
    public const int TransportFaulted = 4;
}
