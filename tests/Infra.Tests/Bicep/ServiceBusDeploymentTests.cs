using System.Text.Json.Nodes;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>The Service Bus namespace and the entities the worker and its producers use.</summary>
public sealed class ServiceBusDeploymentTests
{
    // The reply queue is a contract with producers (docs/contracts.md), not a worker setting: replies go to ReplyTo.
    private const string ReplyQueue = "llmq-replies";

    public static TheoryData<string> Environments => BicepWorkspace.EnvironmentNames();

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task Local_auth_is_off_and_no_shared_access_key_exists(string name)
    {
        var (_, environment) = await BicepWorkspace.EnvironmentAsync(name);
        var serviceBus = environment.Resource(ResourceTypes.ServiceBusNamespace);
        Assert.True((bool)serviceBus["properties"]!["disableLocalAuth"]!);
        Assert.Empty(environment.Resources(ResourceTypes.ServiceBusNamespace + "/AuthorizationRules"));
        Assert.Empty(environment.Resources(ResourceTypes.ServiceBusQueue + "/authorizationRules"));
        Assert.Empty(environment.Resources(ResourceTypes.ServiceBusTopic + "/authorizationRules"));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_request_queue_locks_for_five_minutes_dead_letters_and_drops_duplicates(string name)
    {
        var (workspace, environment) = await BicepWorkspace.EnvironmentAsync(name);
        var queue = Properties(environment, ResourceTypes.ServiceBusQueue, new WorkerApp(environment).Setting("LLMQ_Transport__RequestQueue"));
        Assert.Equal("PT5M", (string)queue["lockDuration"]!);
        Assert.Equal((int)workspace.ParameterValue(environment, "requestMaxDeliveryCount"), (int)queue["maxDeliveryCount"]!);
        Assert.True((bool)queue["deadLetteringOnMessageExpiration"]!);
        Assert.True((bool)queue["requiresDuplicateDetection"]!);
        Assert.False((bool)queue["requiresSession"]!);
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_reply_queue_is_session_enabled(string name)
    {
        var (_, environment) = await BicepWorkspace.EnvironmentAsync(name);
        Assert.True((bool)Properties(environment, ResourceTypes.ServiceBusQueue, ReplyQueue)["requiresSession"]!);
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_callback_retry_queue_dead_letters_what_never_gets_delivered(string name)
    {
        var (_, environment) = await BicepWorkspace.EnvironmentAsync(name);
        var queue = Properties(environment, ResourceTypes.ServiceBusQueue, new WorkerApp(environment).Setting("LLMQ_Callbacks__RetryQueue"));
        Assert.True((bool)queue["deadLetteringOnMessageExpiration"]!);
        Assert.False((bool)queue["requiresSession"]!);
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task Cancels_go_through_a_topic_with_one_shared_subscription(string name)
    {
        var (_, environment) = await BicepWorkspace.EnvironmentAsync(name);
        var app = new WorkerApp(environment);
        var topic = environment.Resource(ResourceTypes.ServiceBusTopic, app.Setting("LLMQ_Transport__CancelTopic"));
        var subscription = Assert.Single(environment.Resources(ResourceTypes.ServiceBusSubscription));
        Assert.Equal($"{topic["name"]}/{app.Setting("LLMQ_Transport__ServiceBus__CancelSubscription")}", (string)subscription["name"]!);
    }

    private static JsonObject Properties(CompiledEnvironment environment, string type, string name) =>
        environment.Resource(type, name)["properties"]!.AsObject();
}
