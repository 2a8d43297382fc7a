using System.Xml.Linq;

namespace LlmQueue.Infra.Tests.Docker;

/// <summary>The ProjectReference graph of the repository's project files.</summary>
internal static class ProjectGraph
{
    /// <summary>
    /// The project and every project it references directly or transitively, as repository-relative paths.
    /// </summary>
    public static IReadOnlySet<string> Closure(string projectPath)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([projectPath]);
        while (pending.TryPop(out var project))
        {
            if (!seen.Add(project))
            {
                continue;
            }

            var absolute = Repository.PathOf(project);
            var folder = Path.GetDirectoryName(absolute)!;
            foreach (var reference in XDocument.Load(absolute).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")?.Value
                    ?? throw new FormatException($"{project}: a ProjectReference without Include.");
                pending.Push(Repository.RelativePathOf(Path.GetFullPath(Path.Combine(folder, include.Replace('\\', '/')))));
            }
        }

        return seen;
    }
}
