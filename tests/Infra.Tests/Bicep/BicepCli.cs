using System.Reflection;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>The Bicep CLI from the Azure.Bicep.CommandLine.linux-x64 package (its path is baked in at build time).</summary>
internal static class BicepCli
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    private static readonly Lazy<string> s_path = new(Locate);

    public static string Path => s_path.Value;

    public static Task<ProcessResult> RunAsync(
        string workingDirectory,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null) =>
        ProcessRunner.RunAsync(Path, arguments, workingDirectory, s_timeout, environment);

    private static string Locate()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == "BicepPath")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The Bicep CLI is missing ('{path}'): restore tests/Infra.Tests, whose Azure.Bicep.CommandLine.linux-x64 package provides it.");
        }

        return path;
    }
}
