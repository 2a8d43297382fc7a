namespace LlmQueue.Engine;

/// <summary>The values of Engine:Device.</summary>
public static class EngineDevices
{
    public const string Cpu = "cpu";

    public const string Cuda = "cuda";

    public const string Auto = "auto";

    public static IReadOnlyList<string> All { get; } = [Cpu, Cuda, Auto];
}
