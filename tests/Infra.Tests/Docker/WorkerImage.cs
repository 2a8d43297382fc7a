namespace LlmQueue.Infra.Tests.Docker;

/// <summary>The repository's Dockerfile and .dockerignore, read once, and the facts other tests compare with.</summary>
internal static class WorkerImage
{
    /// <summary>The project the image publishes and runs.</summary>
    public const string WorkerProject = "src/Worker/Worker.csproj";

    private static readonly Lazy<Dockerfile> s_dockerfile =
        new(() => Dockerfile.Parse(File.ReadAllText(Repository.PathOf("Dockerfile"))));

    private static readonly Lazy<DockerIgnore> s_ignore =
        new(() => DockerIgnore.Parse(File.ReadAllText(Repository.PathOf(".dockerignore"))));

    public static Dockerfile Dockerfile => s_dockerfile.Value;

    public static DockerIgnore Ignore => s_ignore.Value;

    /// <summary>The final stage's VOLUME paths.</summary>
    public static IReadOnlyList<string> Volumes =>
        Dockerfile.FinalStage.All("VOLUME")
            .SelectMany(volume => volume.IsExecForm ? volume.ExecArguments : volume.Words)
            .ToArray();

    /// <summary>The final stage's ENV variables (later ones win).</summary>
    public static IReadOnlyDictionary<string, string> Environment =>
        Dockerfile.FinalStage.All("ENV")
            .SelectMany(env => env.Variables)
            .GroupBy(variable => variable.Key, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Last().Value, StringComparer.Ordinal);

    /// <summary>The final stage's EXPOSEd TCP ports.</summary>
    public static IReadOnlyList<int> ExposedPorts =>
        Dockerfile.FinalStage.All("EXPOSE")
            .SelectMany(expose => expose.Words)
            .Select(port => int.Parse(port.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
}
