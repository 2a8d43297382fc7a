using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>
/// infra/bicep compiled once per test run, in copies under the temp folder (snapshot and build-params write files
/// next to their inputs; format rewrites its inputs): build, build-params, lint and format over every file, and a
/// snapshot of every environment. The secure parameters come from environment variables set to fresh random
/// values, so a test can look for them where they must not appear.
/// </summary>
internal sealed class BicepWorkspace
{
    public const string Folder = "infra/bicep";
    public const string Template = "main.bicep";
    public const string SubscriptionId = "00000000-0000-0000-0000-00000000a1a1";
    public const string ResourceGroup = "rg-llmq-test";

    private static readonly Lazy<Task<BicepWorkspace>> s_shared = new(CompileAsync);

    private readonly JsonObject? _mainTemplate;

    private BicepWorkspace(
        IReadOnlyList<ProcessResult> runs,
        JsonObject? mainTemplate,
        IReadOnlyDictionary<string, CompiledEnvironment> environments,
        IReadOnlyList<string> reformattedFiles,
        IReadOnlyDictionary<string, string> secrets)
    {
        Runs = runs;
        _mainTemplate = mainTemplate;
        Environments = environments;
        ReformattedFiles = reformattedFiles;
        Secrets = secrets;
    }

    /// <summary>Every Bicep invocation the compilation made.</summary>
    public IReadOnlyList<ProcessResult> Runs { get; }

    /// <summary>main.bicep compiled to an ARM template (modules inlined as nested deployments).</summary>
    public JsonObject MainTemplate =>
        _mainTemplate ?? throw new InvalidOperationException($"{Template} did not compile (see the build test).");

    /// <summary>By environment name: "dev" for main.dev.bicepparam.</summary>
    public IReadOnlyDictionary<string, CompiledEnvironment> Environments { get; }

    /// <summary>Files 'bicep format' changed.</summary>
    public IReadOnlyList<string> ReformattedFiles { get; }

    /// <summary>The secret values the .bicepparam files read from the environment, by variable name.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; }

    public static Task<BicepWorkspace> SharedAsync() => s_shared.Value;

    /// <summary>The shared compilation and one of its environments (failing when that environment did not compile).</summary>
    public static async Task<(BicepWorkspace Workspace, CompiledEnvironment Environment)> EnvironmentAsync(string name)
    {
        var workspace = await SharedAsync();
        Assert.True(workspace.Environments.TryGetValue(name, out var environment), $"Environment {name} did not compile.");
        return (workspace, environment);
    }

    /// <summary>A parameter of main.bicep as an environment sets it, or the template's default.</summary>
    public JsonNode ParameterValue(CompiledEnvironment environment, string name) =>
        environment.Parameter(name)
        ?? MainTemplate["parameters"]?[name]?["defaultValue"]
        ?? throw new InvalidOperationException($"main.bicep has no parameter {name} with a value in {environment.Name}.");

    /// <summary>The environments (names of the main.*.bicepparam files), for theories.</summary>
    public static TheoryData<string> EnvironmentNames() => new(EnvironmentNameList());

    /// <summary>The environments (names of the main.*.bicepparam files) in the repository.</summary>
    public static IReadOnlyList<string> EnvironmentNameList() =>
        Directory.EnumerateFiles(Repository.PathOf(Folder), "main.*.bicepparam")
            .Select(EnvironmentName)
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static async Task<BicepWorkspace> CompileAsync()
    {
        var source = Repository.PathOf(Folder);
        var compiled = CopyToTemp(source);
        var formatted = CopyToTemp(source);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            compiled.Delete(recursive: true);
            formatted.Delete(recursive: true);
        };

        var secrets = NewSecrets();
        var environment = DeploymentEnvironment(secrets);

        var parameterFiles = Directory.EnumerateFiles(compiled.FullName, "main.*.bicepparam").Order(StringComparer.Ordinal).ToArray();
        var build = BicepCli.RunAsync(compiled.FullName, ["build", Template, "--stdout"], environment);
        var buildParams = BicepCli.RunAsync(compiled.FullName, ["build-params", "--pattern", "*.bicepparam"], environment);
        var lint = BicepCli.RunAsync(compiled.FullName, ["lint", "--pattern", "**/*.bicep*"], environment);
        var format = BicepCli.RunAsync(formatted.FullName, ["format", "--pattern", "**/*.bicep*"], environment);
        var snapshots = parameterFiles.Select(file => Snapshot(compiled.FullName, Path.GetFileName(file), environment)).ToArray();
        var runs = await Task.WhenAll([build, buildParams, lint, format, .. snapshots]);

        var environments = new Dictionary<string, CompiledEnvironment>(StringComparer.Ordinal);
        foreach (var file in parameterFiles)
        {
            var stem = Path.ChangeExtension(file, null);
            var snapshotPath = stem + ".snapshot.json";
            var parametersPath = stem + ".json";
            if (File.Exists(snapshotPath) && File.Exists(parametersPath))
            {
                var snapshotText = await File.ReadAllTextAsync(snapshotPath);
                environments[EnvironmentName(file)] = new CompiledEnvironment(
                    EnvironmentName(file),
                    JsonNode.Parse(await File.ReadAllTextAsync(parametersPath))!.AsObject(),
                    JsonNode.Parse(snapshotText)!.AsObject(),
                    snapshotText);
            }
        }

        var mainTemplate = build.Result.ExitCode == 0 ? JsonNode.Parse(build.Result.StandardOutput)!.AsObject() : null;
        return new BicepWorkspace(runs, mainTemplate, environments, ChangedFiles(source, formatted.FullName), secrets);
    }

    /// <summary>
    /// A snapshot of one environment on its own, with extra environment variables for the .bicepparam (e.g.
    /// LLMQ_DEPLOY_WORKER=false); its parameters are not available.
    /// </summary>
    public static async Task<(ProcessResult Run, CompiledEnvironment? Environment)> SnapshotAsync(
        string name,
        IReadOnlyDictionary<string, string?> variables)
    {
        var folder = CopyToTemp(Repository.PathOf(Folder));
        try
        {
            var environment = DeploymentEnvironment(NewSecrets());
            foreach (var (key, value) in variables)
            {
                environment[key] = value;
            }

            var run = await Snapshot(folder.FullName, $"main.{name}.bicepparam", environment);
            var path = Path.Combine(folder.FullName, $"main.{name}.snapshot.json");
            if (run.ExitCode != 0 || !File.Exists(path))
            {
                return (run, null);
            }

            var text = await File.ReadAllTextAsync(path);
            return (run, new CompiledEnvironment(name, [], JsonNode.Parse(text)!.AsObject(), text));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string> NewSecrets() => new(StringComparer.Ordinal)
    {
        ["LLMQ_REDIS_TIER_SECRET"] = "redis-tier-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
        ["LLMQ_CALLBACK_SIGNING_SECRET"] = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)),
        ["LLMQ_CALLBACK_SIGNING_SECRET_PREVIOUS"] = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)),
        ["HF_TOKEN"] = "hf_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
    };

    /// <summary>The variables the .bicepparam files read: the secrets, an image tag, and nothing inherited.</summary>
    private static Dictionary<string, string?> DeploymentEnvironment(Dictionary<string, string> secrets)
    {
        var environment = secrets.ToDictionary(pair => pair.Key, pair => (string?)pair.Value, StringComparer.Ordinal);
        environment["LLMQ_IMAGE_TAG"] = "infra-tests";
        // Unset: the full deployment, app included.
        environment["LLMQ_DEPLOY_WORKER"] = null;
        return environment;
    }

    private static Task<ProcessResult> Snapshot(string folder, string parameterFile, IReadOnlyDictionary<string, string?> environment) =>
        BicepCli.RunAsync(
            folder,
            [
                "snapshot", parameterFile, "--mode", "overwrite", "--subscription-id", SubscriptionId,
                "--resource-group", ResourceGroup, "--location", "westus3",
            ],
            environment);

    /// <summary>main.dev.bicepparam -> dev.</summary>
    private static string EnvironmentName(string parameterFile) =>
        Path.GetFileNameWithoutExtension(parameterFile)["main.".Length..];

    private static DirectoryInfo CopyToTemp(string source)
    {
        var target = Directory.CreateTempSubdirectory("llmq-bicep-");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target.FullName, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        return target;
    }

    private static string[] ChangedFiles(string original, string formatted) =>
        Directory.EnumerateFiles(original, "*", SearchOption.AllDirectories)
            .Where(file => File.ReadAllText(file) != File.ReadAllText(Path.Combine(formatted, Path.GetRelativePath(original, file))))
            .Select(Repository.RelativePathOf)
            .ToArray();
}
