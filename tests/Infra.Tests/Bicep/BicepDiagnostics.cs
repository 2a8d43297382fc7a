using System.Text.RegularExpressions;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>
/// What a Bicep run reported. Bicep exits 0 on warnings, type errors included (BCP0xx), so a clean run is exit code
/// 0 with no diagnostic line ("file(line,col) : Level CODE: message") and nothing else on stderr.
/// </summary>
internal static partial class BicepDiagnostics
{
    /// <summary>Every diagnostic, stray stderr line or failing exit code of the run, one line each.</summary>
    public static IReadOnlyList<string> Problems(ProcessResult run)
    {
        var problems = new List<string>();
        if (run.ExitCode != 0)
        {
            problems.Add($"'{run.CommandLine}' exited with {run.ExitCode}");
        }

        problems.AddRange(Lines(run.StandardError));
        problems.AddRange(Lines(run.StandardOutput).Where(line => Diagnostic().IsMatch(line)));
        return problems;
    }

    /// <summary>The diagnostic codes (BCP037, no-unused-params, ...) and levels the run printed.</summary>
    public static IReadOnlyList<(string Level, string Code)> Codes(ProcessResult run) =>
        Lines(run.StandardError).Concat(Lines(run.StandardOutput))
            .Select(line => Diagnostic().Match(line))
            .Where(match => match.Success)
            .Select(match => (match.Groups["level"].Value, match.Groups["code"].Value))
            .ToArray();

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Trim().Length > 0);

    [GeneratedRegex(@"\(\d+,\d+\) : (?<level>Error|Warning|Info) (?<code>[^:\s]+):")]
    private static partial Regex Diagnostic();
}
