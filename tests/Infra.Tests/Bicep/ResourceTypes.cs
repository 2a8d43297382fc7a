namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>Azure resource types the deployment is checked for.</summary>
internal static class ResourceTypes
{
    public const string ContainerApp = "Microsoft.App/containerApps";
    public const string ManagedEnvironment = "Microsoft.App/managedEnvironments";
    public const string Registry = "Microsoft.ContainerRegistry/registries";
    public const string KeyVault = "Microsoft.KeyVault/vaults";
    public const string KeyVaultSecret = "Microsoft.KeyVault/vaults/secrets";
    public const string ServiceBusNamespace = "Microsoft.ServiceBus/namespaces";
    public const string ServiceBusQueue = "Microsoft.ServiceBus/namespaces/queues";
    public const string ServiceBusTopic = "Microsoft.ServiceBus/namespaces/topics";
    public const string ServiceBusSubscription = "Microsoft.ServiceBus/namespaces/topics/subscriptions";
    public const string RedisDatabase = "Microsoft.Cache/redisEnterprise/databases";
    public const string RoleAssignment = "Microsoft.Authorization/roleAssignments";
    public const string Deployment = "Microsoft.Resources/deployments";
}
