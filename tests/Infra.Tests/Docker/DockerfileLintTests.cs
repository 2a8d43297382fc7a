namespace LlmQueue.Infra.Tests.Docker;

/// <summary>dockerfilelint (npm) over the repository's Dockerfile; it has to find nothing.</summary>
public sealed class DockerfileLintTests
{
    [Fact]
    public async Task The_Dockerfile_has_no_findings()
    {
        var findings = await DockerfileLint.FindingsAsync(Repository.PathOf("Dockerfile"));
        Assert.True(findings.Count == 0, "dockerfilelint:\n" + string.Join('\n', findings));
    }

    [Fact]
    public async Task The_linter_reports_what_it_should()
    {
        // Control: a file with a latest tag and a blocking apt-get must be reported, or "no findings" proves nothing.
        var folder = Directory.CreateTempSubdirectory("llmq-dockerfilelint-");
        try
        {
            var path = Path.Combine(folder.FullName, "Dockerfile");
            await File.WriteAllTextAsync(path, "FROM ubuntu:latest\nRUN apt-get install curl\n");
            var findings = await DockerfileLint.FindingsAsync(path);
            Assert.Contains(findings, finding => finding.StartsWith("line 1:", StringComparison.Ordinal));
            Assert.Contains(findings, finding => finding.StartsWith("line 2:", StringComparison.Ordinal));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
