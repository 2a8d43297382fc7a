using System.Text.Json.Nodes;
using System.Globalization;
using LlmQueue.Infra.Tests.Docker;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>The worker container app each environment deploys.</summary>
public sealed class WorkerAppDeploymentTests
{
    // Container Apps accepts at most 600 seconds between SIGTERM and SIGKILL.
    private const int MaxTerminationGracePeriodSeconds = 600;

    public static TheoryData<string> Environments => BicepWorkspace.EnvironmentNames();

    [Fact]
    public async Task The_gpu_profile_parameter_allows_exactly_the_T4_and_A100_serverless_profiles()
    {
        var workspace = await BicepWorkspace.SharedAsync();
        var allowed = workspace.MainTemplate["parameters"]!["gpuWorkloadProfileType"]!["allowedValues"]!.AsArray()
            .Select(value => (string)value!);
        Assert.Equal(["Consumption-GPU-NC24-A100", "Consumption-GPU-NC8as-T4"], allowed.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_app_runs_on_the_environments_gpu_profile(string name)
    {
        var (workspace, environment, app) = await LoadAsync(name);
        var profileType = (string)workspace.ParameterValue(environment, "gpuWorkloadProfileType")!;
        var profiles = environment.Resource(ResourceTypes.ManagedEnvironment)["properties"]!["workloadProfiles"]!.AsArray();
        var gpu = Assert.Single(profiles, profile => (string?)profile!["workloadProfileType"] == profileType)!;
        Assert.Equal((string)gpu["name"]!, (string)app.Properties["workloadProfileName"]!);
        Assert.Equal("cuda", app.Setting("LLMQ_Engine__Device"));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_app_scales_from_zero_on_the_request_queue_one_replica_per_engine_batch(string name)
    {
        var (workspace, environment, app) = await LoadAsync(name);
        var scale = app.Template["scale"]!;
        Assert.Equal(0, (int)scale["minReplicas"]!);
        Assert.Equal((int)workspace.ParameterValue(environment, "maxReplicas"), (int)scale["maxReplicas"]!);

        var rule = Assert.Single(scale["rules"]!.AsArray())!["custom"]!;
        Assert.Equal("azure-servicebus", (string)rule["type"]!);
        var metadata = rule["metadata"]!.AsObject();
        Assert.Equal((string)environment.Resource(ResourceTypes.ServiceBusNamespace)["name"]!, (string)metadata["namespace"]!);
        Assert.Equal(app.Setting("LLMQ_Transport__RequestQueue"), (string)metadata["queueName"]!);

        // One replica per MaxRunningRequests queued messages: KEDA's target equals what one engine runs at once.
        var maxRunningRequests = (int)workspace.ParameterValue(environment, "maxRunningRequests");
        Assert.Equal(maxRunningRequests.ToString(CultureInfo.InvariantCulture), (string)metadata["messageCount"]!);
        Assert.Equal(maxRunningRequests.ToString(CultureInfo.InvariantCulture), app.Setting("LLMQ_Engine__MaxRunningRequests"));
        Assert.True(int.Parse((string)metadata["activationMessageCount"]!, CultureInfo.InvariantCulture) >= 0);
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_scale_rule_authenticates_with_a_managed_identity_and_holds_no_secret(string name)
    {
        var (_, _, app) = await LoadAsync(name);
        var rule = Assert.Single(app.Template["scale"]!["rules"]!.AsArray())!["custom"]!.AsObject();
        Assert.Contains((string)rule["identity"]!, app.IdentityIds);
        Assert.False(rule.ContainsKey("auth"), "The scale rule references a secret.");
        Assert.DoesNotContain(rule["metadata"]!.AsObject(), entry => entry.Key.StartsWith("connection", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task Probes_check_health_and_readiness_on_the_operations_port_the_image_exposes(string name)
    {
        var (_, _, app) = await LoadAsync(name);
        var port = int.Parse(app.Setting("LLMQ_Operations__Port"), CultureInfo.InvariantCulture);
        Assert.Contains(port, WorkerImage.ExposedPorts);
        var probes = app.Container["probes"]!.AsArray().ToDictionary(probe => (string)probe!["type"]!, probe => probe!["httpGet"]!);
        Assert.Equal("/healthz", (string)probes["Liveness"]["path"]!);
        Assert.Equal("/readyz", (string)probes["Readiness"]["path"]!);
        Assert.Equal("/healthz", (string)probes["Startup"]["path"]!);
        Assert.All(probes.Values, probe => Assert.Equal(port, (int)probe["port"]!));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_grace_period_outlasts_the_drain_timeout(string name)
    {
        var (workspace, environment, app) = await LoadAsync(name);
        var drain = int.Parse(app.Setting("LLMQ_Transport__DrainTimeoutSeconds"), CultureInfo.InvariantCulture);
        Assert.Equal((int)workspace.ParameterValue(environment, "drainTimeoutSeconds"), drain);
        var grace = (int)app.Template["terminationGracePeriodSeconds"]!;
        Assert.True(grace > drain, $"terminationGracePeriodSeconds {grace} is not above the drain timeout {drain}.");
        // The worker is told the grace period, and checks its drain against it at start.
        Assert.Equal(grace, int.Parse(app.Setting("LLMQ_Operations__TerminationGracePeriodSeconds"), CultureInfo.InvariantCulture));
        Assert.True(grace <= MaxTerminationGracePeriodSeconds, $"terminationGracePeriodSeconds {grace} is above the platform's maximum.");
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_worker_talks_to_service_bus_by_managed_identity(string name)
    {
        var (_, environment, app) = await LoadAsync(name);
        Assert.Equal("ServiceBus", app.Setting("LLMQ_Transport__Kind"));
        Assert.DoesNotContain("LLMQ_Transport__ServiceBus__ConnectionString", app.Settings.Keys);
        var namespaceId = (string)environment.Resource(ResourceTypes.ServiceBusNamespace)["id"]!;
        Assert.Equal(namespaceId, WorkerApp.ReferencedResourceId(app.Settings["LLMQ_Transport__ServiceBus__FullyQualifiedNamespace"]["value"]));
        var clientIdentity = WorkerApp.ReferencedResourceId(app.Settings["LLMQ_Transport__ServiceBus__ManagedIdentityClientId"]["value"]);
        Assert.Contains(clientIdentity, app.IdentityIds);
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task Secrets_reach_the_worker_only_as_key_vault_references(string name)
    {
        var (_, environment, app) = await LoadAsync(name);
        var workerIdentity = WorkerApp.ReferencedResourceId(app.Settings["LLMQ_Transport__ServiceBus__ManagedIdentityClientId"]["value"]);
        var vaultSecrets = environment.Resources(ResourceTypes.KeyVaultSecret).Select(secret => (string)secret["id"]!).ToArray();
        Assert.NotEmpty(app.Secrets);
        foreach (var secret in app.Secrets)
        {
            Assert.False(secret.ContainsKey("value"), $"Secret {secret["name"]} carries its value in the app definition.");
            Assert.Equal(workerIdentity, (string)secret["identity"]!);
            Assert.Contains(WorkerApp.ReferencedResourceId(secret["keyVaultUrl"]), vaultSecrets);
        }

        var secretNames = app.Secrets.Select(secret => (string)secret["name"]!).ToArray();
        foreach (var setting in new[] { "LLMQ_RedisTier__ConnectionString", "LLMQ_RedisTier__Secret", "LLMQ_Callbacks__Secrets__0" })
        {
            Assert.True(app.Settings.TryGetValue(setting, out var entry), $"The worker has no {setting} setting.");
            Assert.Null(entry["value"]);
            Assert.Contains((string)entry["secretRef"]!, secretNames);
        }
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_image_is_pulled_from_the_registry_by_identity(string name)
    {
        var (_, environment, app) = await LoadAsync(name);
        var registry = Assert.Single(app.Properties["configuration"]!["registries"]!.AsArray())!.AsObject();
        Assert.Contains((string)registry["identity"]!, app.IdentityIds);
        Assert.False(registry.ContainsKey("passwordSecretRef"));
        Assert.Equal((string)environment.Resource(ResourceTypes.Registry)["id"]!, WorkerApp.ReferencedResourceId(registry["server"]));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_model_cache_volume_is_mounted_where_the_image_declares_it(string name)
    {
        var (_, _, app) = await LoadAsync(name);
        var cache = app.Setting("LLMQ_Engine__CacheDirectory");
        Assert.Equal(cache, Assert.Single(WorkerImage.Volumes));
        var mount = Assert.Single(app.Container["volumeMounts"]!.AsArray(), mount => (string?)mount!["mountPath"] == cache)!;
        Assert.Contains(app.Template["volumes"]!.AsArray(), volume => (string?)volume!["name"] == (string?)mount["volumeName"]);
    }

    [Fact]
    public async Task The_first_deployment_leaves_out_only_the_app()
    {
        // The switch works the same in every environment: one is checked, to keep the run short.
        var name = BicepWorkspace.EnvironmentNameList()[0];
        var (_, full) = await BicepWorkspace.EnvironmentAsync(name);
        var (run, first) = await BicepWorkspace.SnapshotAsync(name, new Dictionary<string, string?> { ["LLMQ_DEPLOY_WORKER"] = "false" });
        Assert.True(first is not null, run.Transcript);
        Assert.Empty(BicepDiagnostics.Problems(run));

        static IEnumerable<string> Ids(CompiledEnvironment environment, Func<JsonObject, bool> include) =>
            environment.AllResources.Where(include).Select(resource => (string)resource["id"]!).Order(StringComparer.Ordinal);
        Assert.Equal(
            Ids(full, resource => (string?)resource["type"] != ResourceTypes.ContainerApp),
            Ids(first, _ => true));
        Assert.Single(full.Resources(ResourceTypes.ContainerApp));
        Assert.Equal("", (string)first.Outputs["workerAppName"]!);
    }

    private static async Task<(BicepWorkspace Workspace, CompiledEnvironment Environment, WorkerApp App)> LoadAsync(string name)
    {
        var (workspace, environment) = await BicepWorkspace.EnvironmentAsync(name);
        return (workspace, environment, new WorkerApp(environment));
    }
}
