using System.Text.Json;

namespace LlmQueue.Infra.Tests;

/// <summary>Property values MSBuild evaluates for a project, as the SDK would use them in a build.</summary>
internal static class MsBuildProperties
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    /// <param name="project">Repository-relative project path.</param>
    public static async Task<IReadOnlyDictionary<string, string>> EvaluateAsync(string project, params string[] names)
    {
        // With two or more names MSBuild answers in JSON; with one it prints the bare value.
        var queried = names.Length == 1 ? [names[0], "MSBuildProjectName"] : names;
        var result = await ProcessRunner.RunAsync(
            "dotnet",
            ["msbuild", Repository.PathOf(project), .. queried.Select(name => "-getProperty:" + name)],
            Repository.Root,
            s_timeout);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"MSBuild could not evaluate {project}.\n{result.Transcript}");
        }

        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.GetProperty("Properties").EnumerateObject()
            .ToDictionary(property => property.Name, property => property.Value.GetString() ?? "", StringComparer.Ordinal);
    }
}
