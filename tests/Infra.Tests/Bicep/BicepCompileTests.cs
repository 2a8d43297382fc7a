using System.Text.Json;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>infra/bicep compiles, lints, builds its parameter files and snapshots with no diagnostic at all.</summary>
public sealed class BicepCompileTests
{
    [Theory]
    [InlineData("build")]
    [InlineData("build-params")]
    [InlineData("lint")]
    [InlineData("snapshot")]
    public async Task Bicep_reports_nothing(string command)
    {
        var workspace = await BicepWorkspace.SharedAsync();
        var runs = workspace.Runs.Where(run => run.CommandLine.Contains($" {command} ", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(runs);
        var problems = runs.SelectMany(BicepDiagnostics.Problems).ToArray();
        Assert.True(problems.Length == 0, string.Join('\n', problems));
    }

    [Fact]
    public async Task Every_environment_is_compiled()
    {
        var workspace = await BicepWorkspace.SharedAsync();
        var names = BicepWorkspace.EnvironmentNameList();
        Assert.NotEmpty(names);
        Assert.Equal(names, workspace.Environments.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Format_leaves_every_file_unchanged()
    {
        var workspace = await BicepWorkspace.SharedAsync();
        Assert.True(
            workspace.ReformattedFiles.Count == 0,
            "Run 'bicep format' on: " + string.Join(", ", workspace.ReformattedFiles));
    }

    [Fact]
    public async Task A_type_error_exits_zero_and_is_still_caught()
    {
        // Why the tests read diagnostics instead of trusting the exit code.
        var folder = Directory.CreateTempSubdirectory("llmq-bicep-control-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "bad.bicep"), """
                resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
                  name: 'sb-control'
                  location: 'westus3'
                  properties: {
                    disableLocalAuthentication: true
                  }
                }
                """);
            var run = await BicepCli.RunAsync(folder.FullName, ["build", "bad.bicep", "--stdout"]);

            Assert.Equal(0, run.ExitCode);
            Assert.Contains(("Warning", "BCP037"), BicepDiagnostics.Codes(run));
            Assert.NotEmpty(BicepDiagnostics.Problems(run));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_linter_config_is_honoured_at_error_level()
    {
        var folder = Directory.CreateTempSubdirectory("llmq-bicep-control-");
        try
        {
            File.Copy(Repository.PathOf($"{BicepWorkspace.Folder}/bicepconfig.json"), Path.Combine(folder.FullName, "bicepconfig.json"));
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "unused.bicep"), "param unused string\n");
            var run = await BicepCli.RunAsync(folder.FullName, ["lint", "unused.bicep"]);

            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains(("Error", "no-unused-params"), BicepDiagnostics.Codes(run));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Every_configured_linter_rule_is_an_error_but_the_date_dependent_one()
    {
        using var config = JsonDocument.Parse(
            File.ReadAllText(Repository.PathOf($"{BicepWorkspace.Folder}/bicepconfig.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var rules = config.RootElement.GetProperty("analyzers").GetProperty("core").GetProperty("rules").EnumerateObject()
            .ToDictionary(rule => rule.Name, rule => rule.Value.GetProperty("level").GetString());

        // use-recent-api-versions compares API versions with today's date: the same files would fail tomorrow.
        Assert.Equal("off", rules["use-recent-api-versions"]);
        Assert.All(rules.Where(rule => rule.Key != "use-recent-api-versions"), rule => Assert.Equal("error", rule.Value));
        Assert.True(rules.Count > 30, $"Only {rules.Count} rules configured.");
    }
}
