namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>Each identity holds exactly the roles its work needs, each on the narrowest scope that works.</summary>
public sealed class RoleAssignmentTests
{
    public static TheoryData<string> Environments => BicepWorkspace.EnvironmentNames();

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task Each_identity_gets_exactly_its_roles_on_the_entities_it_uses(string name)
    {
        var (_, environment) = await BicepWorkspace.EnvironmentAsync(name);
        var app = new WorkerApp(environment);
        var worker = WorkerApp.ReferencedResourceId(app.Settings["LLMQ_Transport__ServiceBus__ManagedIdentityClientId"]["value"]);
        var scaler = (string)Assert.Single(app.Template["scale"]!["rules"]!.AsArray())!["custom"]!["identity"]!;
        string Id(string type, string resource) => (string)environment.Resource(type, resource)["id"]!;
        var requestQueue = Id(ResourceTypes.ServiceBusQueue, app.Setting("LLMQ_Transport__RequestQueue"));
        var callbackQueue = Id(ResourceTypes.ServiceBusQueue, app.Setting("LLMQ_Callbacks__RetryQueue"));
        var expected = new[]
        {
            (worker, BuiltInRoles.AcrPull, (string)environment.Resource(ResourceTypes.Registry)["id"]!),
            (worker, BuiltInRoles.KeyVaultSecretsUser, (string)environment.Resource(ResourceTypes.KeyVault)["id"]!),
            (worker, BuiltInRoles.ServiceBusDataReceiver, requestQueue),
            (worker, BuiltInRoles.ServiceBusDataSender, Id(ResourceTypes.ServiceBusQueue, "llmq-replies")),
            (worker, BuiltInRoles.ServiceBusDataSender, callbackQueue),
            (worker, BuiltInRoles.ServiceBusDataReceiver, callbackQueue),
            (worker, BuiltInRoles.ServiceBusDataReceiver, (string)Assert.Single(environment.Resources(ResourceTypes.ServiceBusSubscription))["id"]!),
            // KEDA reads the queue's length through the management API, which needs the Manage claim (Data Owner).
            (scaler, BuiltInRoles.ServiceBusDataOwner, requestQueue),
        };

        var actual = environment.Resources(ResourceTypes.RoleAssignment).Select(assignment =>
        {
            var id = (string)assignment["id"]!;
            var properties = assignment["properties"]!;
            Assert.Equal("ServicePrincipal", (string)properties["principalType"]!);
            return (
                WorkerApp.ReferencedResourceId(properties["principalId"]),
                ((string)properties["roleDefinitionId"]!).Split('/')[^1],
                id[..id.IndexOf("/providers/Microsoft.Authorization/", StringComparison.Ordinal)]);
        });

        Assert.Equal(expected.Order(), actual.Order());
    }
}
