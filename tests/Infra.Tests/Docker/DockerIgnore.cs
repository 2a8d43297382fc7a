using System.Text;
using System.Text.RegularExpressions;

namespace LlmQueue.Infra.Tests.Docker;

/// <summary>
/// .dockerignore rules with Docker's semantics (moby patternmatcher): patterns in order, '!' re-includes, the last
/// matching rule wins, and a rule matching a parent folder applies to everything inside it. '*' and '?' stay within
/// one path segment, '**' spans any number of them.
/// </summary>
internal sealed class DockerIgnore
{
    private readonly IReadOnlyList<Rule> _rules;

    private DockerIgnore(IReadOnlyList<Rule> rules) => _rules = rules;

    public static DockerIgnore Parse(string text) =>
        new(text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(ToRule)
            .ToArray());

    /// <summary>Whether a repository-relative path ('/' separated) stays out of the build context.</summary>
    public bool IsExcluded(string relativePath)
    {
        var path = Clean(relativePath);
        var segments = path.Split('/');
        var parents = Enumerable.Range(1, segments.Length - 1).Select(count => string.Join('/', segments[..count])).ToArray();
        var excluded = false;
        foreach (var rule in _rules)
        {
            // An exception only matters for a path excluded so far, and an exclusion for one not yet excluded.
            if (rule.IsException != excluded)
            {
                continue;
            }

            if (rule.Pattern.IsMatch(path) || parents.Any(rule.Pattern.IsMatch))
            {
                excluded = !rule.IsException;
            }
        }

        return excluded;
    }

    private static Rule ToRule(string line)
    {
        var isException = line.StartsWith('!');
        var pattern = Clean(isException ? line[1..].Trim() : line);
        return new Rule(ToRegex(pattern), isException);
    }

    private static string Clean(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(segment => segment != ".");
        return string.Join('/', segments);
    }

    private static Regex ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    // "**/" matches zero or more whole folders.
                    i++;
                    regex.Append("(.*/)?");
                }
                else
                {
                    regex.Append(".*");
                }
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else if (c == '\\' && i + 1 < pattern.Length)
            {
                regex.Append(Regex.Escape(pattern[++i].ToString()));
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    private sealed record Rule(Regex Pattern, bool IsException);
}
