using System.Security.Cryptography;
using System.Text.Json;

namespace LlmQueue.Infra.Tests.Docker;

/// <summary>
/// dockerfilelint from npm, pinned by tests/Infra.Tests/Tooling/package-lock.json and installed once into
/// .cache/infra-tooling (git-ignored); later runs reuse it while the lock file is unchanged.
/// </summary>
internal static class DockerfileLint
{
    private static readonly Lazy<Task<string>> s_installation = new(InstallAsync);
    private static readonly TimeSpan s_installTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_lintTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Lints one Dockerfile and returns its findings as "line N: title (content)".</summary>
    public static async Task<IReadOnlyList<string>> FindingsAsync(string dockerfilePath)
    {
        var folder = await s_installation.Value;
        var script = Path.Combine(folder, "node_modules", "dockerfilelint", "bin", "dockerfilelint");
        // The exit code is the number of findings, so the JSON report is what tells success from failure.
        var result = await ProcessRunner.RunAsync("node", [script, "--json", dockerfilePath], folder, s_lintTimeout);
        JsonDocument report;
        try
        {
            report = JsonDocument.Parse(result.StandardOutput);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException("dockerfilelint printed no JSON report.\n" + result.Transcript, ex);
        }

        using (report)
        {
            return report.RootElement.GetProperty("files").EnumerateArray()
                .SelectMany(file => file.GetProperty("issues").EnumerateArray())
                .Select(issue => $"line {issue.GetProperty("line").GetString()}: {issue.GetProperty("title").GetString()} ({issue.GetProperty("content").GetString()})")
                .ToArray();
        }
    }

    private static async Task<string> InstallAsync()
    {
        var tooling = Repository.PathOf("tests/Infra.Tests/Tooling");
        var folder = Repository.PathOf(".cache/infra-tooling");
        var files = new[] { "package.json", "package-lock.json" };
        var stamp = Convert.ToHexString(SHA256.HashData(files.SelectMany(file => File.ReadAllBytes(Path.Combine(tooling, file))).ToArray()));
        var stampPath = Path.Combine(folder, ".stamp");
        if (File.Exists(stampPath) && await File.ReadAllTextAsync(stampPath) == stamp && Directory.Exists(Path.Combine(folder, "node_modules")))
        {
            return folder;
        }

        Directory.CreateDirectory(folder);
        File.Delete(stampPath);
        foreach (var file in files)
        {
            File.Copy(Path.Combine(tooling, file), Path.Combine(folder, file), overwrite: true);
        }

        var install = await ProcessRunner.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], folder, s_installTimeout);
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException(
                "Installing dockerfilelint with npm failed (Node.js and npm on PATH and the npm registry reachable are needed on the first run).\n"
                + install.Transcript);
        }

        await File.WriteAllTextAsync(stampPath, stamp);
        return folder;
    }
}
