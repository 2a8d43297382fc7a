using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>Builds the SDK client the options describe (validated options only).</summary>
internal static class ServiceBusConnection
{
    public static ServiceBusClient CreateClient(ServiceBusOptions options, string identifier) =>
        string.IsNullOrWhiteSpace(options.ConnectionString)
            ? new ServiceBusClient(options.FullyQualifiedNamespace, Credential(options), ClientOptions(identifier))
            : new ServiceBusClient(options.ConnectionString, ClientOptions(identifier));

    /// <summary>For logs: the namespace host, never the key.</summary>
    public static string Namespace(ServiceBusOptions options) =>
        string.IsNullOrWhiteSpace(options.ConnectionString)
            ? options.FullyQualifiedNamespace
            : ServiceBusConnectionStringProperties.Parse(options.ConnectionString).FullyQualifiedNamespace;

    private static TokenCredential Credential(ServiceBusOptions options) =>
        string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId));

    private static ServiceBusClientOptions ClientOptions(string identifier) => new()
    {
        Identifier = identifier,
        // Each operation gets a bounded try; the serving core bounds a reply send again (30 s) and retries the request.
        RetryOptions = new ServiceBusRetryOptions
        {
            Mode = ServiceBusRetryMode.Exponential,
            MaxRetries = 3,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(10),
            TryTimeout = TimeSpan.FromSeconds(20),
        },
    };
}
