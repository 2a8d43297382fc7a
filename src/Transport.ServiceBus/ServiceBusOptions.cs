using Azure.Messaging.ServiceBus;

namespace LlmQueue.Transport.ServiceBus;

/// <summary>
/// The namespace and how to authenticate (section "Transport:ServiceBus"; the client uses the same shape): a connection
/// string, or the namespace's host name with an Entra ID credential (a user-assigned managed identity when its client id
/// is given, else DefaultAzureCredential: system-assigned identity, workload identity, Azure CLI, ...).
/// </summary>
public sealed class ServiceBusOptions
{
    public const string SectionName = "ServiceBus";

    /// <summary>
    /// Upper bound of <see cref="MaxLockRenewalSeconds"/>: far past the ~17 minutes of renewals after which settling a
    /// message is known to fail on Azure (github.com/Azure/azure-service-bus/issues/685).
    /// </summary>
    public const int MaxLockRenewalSecondsLimit = 3600;

    /// <summary>Endpoint=sb://...;SharedAccessKeyName=...;SharedAccessKey=... (not with FullyQualifiedNamespace).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>e.g. my-namespace.servicebus.windows.net; authenticated with Entra ID (not with ConnectionString).</summary>
    public string FullyQualifiedNamespace { get; set; } = "";

    /// <summary>Client id of the user-assigned managed identity to use with FullyQualifiedNamespace; empty = DefaultAzureCredential.</summary>
    public string ManagedIdentityClientId { get; set; } = "";

    /// <summary>The worker's subscription of the cancel topic, shared by every replica.</summary>
    public string CancelSubscription { get; set; } = "llmq-workers";

    /// <summary>
    /// How long the worker keeps renewing a request's lock (MaxAutoLockRenewalDuration): the longest a generation can run
    /// and still be settled. Past it the lock expires and the request is delivered again as a new attempt.
    /// </summary>
    public int MaxLockRenewalSeconds { get; set; } = 900;

    /// <summary>The session-enabled queue a client reads its replies from (one session per client).</summary>
    public string ReplyQueue { get; set; } = "llmq-replies";

    /// <summary>Checks the values; returns messages naming the key under <paramref name="prefix"/>. Never echoes a secret.</summary>
    public IReadOnlyList<string> Validate(string prefix)
    {
        var failures = new List<string>();
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        var hasNamespace = !string.IsNullOrWhiteSpace(FullyQualifiedNamespace);
        if (hasConnectionString == hasNamespace)
        {
            failures.Add($"Set exactly one of {prefix}:ConnectionString or {prefix}:FullyQualifiedNamespace (with a managed identity), got {(hasConnectionString ? "both" : "neither")}.");
        }

        if (hasConnectionString && ConnectionStringProblem(ConnectionString) is { } problem)
        {
            failures.Add($"{prefix}:ConnectionString is not a Service Bus connection string: {problem}.");
        }

        if (hasNamespace && Uri.CheckHostName(FullyQualifiedNamespace) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
        {
            failures.Add($"{prefix}:FullyQualifiedNamespace must be a host name such as my-namespace.servicebus.windows.net, got '{FullyQualifiedNamespace}'.");
        }

        if (!string.IsNullOrWhiteSpace(ManagedIdentityClientId))
        {
            if (hasConnectionString)
            {
                failures.Add($"{prefix}:ManagedIdentityClientId is used only with {prefix}:FullyQualifiedNamespace, not with a connection string.");
            }

            if (!Guid.TryParse(ManagedIdentityClientId, out _))
            {
                failures.Add($"{prefix}:ManagedIdentityClientId must be a client id (a GUID), got '{ManagedIdentityClientId}'.");
            }
        }

        AddIfNotEntityName(failures, $"{prefix}:CancelSubscription", CancelSubscription);
        AddIfNotEntityName(failures, $"{prefix}:ReplyQueue", ReplyQueue);
        if (MaxLockRenewalSeconds is < 0 or > MaxLockRenewalSecondsLimit)
        {
            failures.Add($"{prefix}:MaxLockRenewalSeconds must be 0-{MaxLockRenewalSecondsLimit}, got {MaxLockRenewalSeconds}.");
        }

        return failures;
    }

    private static void AddIfNotEntityName(List<string> failures, string key, string value)
    {
        if (ServiceBusEntityNames.Check(value) is { } problem)
        {
            failures.Add($"{key} is not a Service Bus entity name: {problem}.");
        }
    }

    /// <summary>Why the SDK would refuse the connection string, without repeating any part of it (it holds a key).</summary>
    private static string? ConnectionStringProblem(string connectionString)
    {
        try
        {
            var properties = ServiceBusConnectionStringProperties.Parse(connectionString);
            if (properties.Endpoint is null)
            {
                return "it has no Endpoint";
            }

            return string.IsNullOrEmpty(properties.EntityPath) ? null : "it names an EntityPath; use a namespace-level connection string";
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return "it does not parse (expected Endpoint=sb://...;SharedAccessKeyName=...;SharedAccessKey=...)";
        }
    }
}
