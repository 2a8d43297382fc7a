namespace LlmQueue.Transport.RabbitMq;

/// <summary>Broker connection (section "Transport:RabbitMq"; the client uses the same shape).</summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "RabbitMq";

    public string Host { get; set; } = "localhost";

    public int Port { get; set; } = 5672;

    public string VirtualHost { get; set; } = "/";

    public string Username { get; set; } = "guest";

    public string Password { get; set; } = "guest";

    /// <summary>Channels replies are published on (each waits for its own broker confirms).</summary>
    public int PublishChannels { get; set; } = 4;

    /// <summary>Checks the values; returns messages naming the key under <paramref name="prefix"/>.</summary>
    public IReadOnlyList<string> Validate(string prefix)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(Host))
        {
            failures.Add($"{prefix}:Host must not be empty.");
        }

        if (Port is < 1 or > 65535)
        {
            failures.Add($"{prefix}:Port must be 1-65535, got {Port}.");
        }

        if (string.IsNullOrEmpty(VirtualHost))
        {
            failures.Add($"{prefix}:VirtualHost must not be empty (use \"/\" for the default).");
        }

        if (string.IsNullOrEmpty(Username))
        {
            failures.Add($"{prefix}:Username must not be empty.");
        }

        if (PublishChannels is < 1 or > 64)
        {
            failures.Add($"{prefix}:PublishChannels must be 1-64, got {PublishChannels}.");
        }

        return failures;
    }

    internal RabbitMQ.Client.ConnectionFactory CreateFactory(string clientName) => new()
    {
        HostName = Host,
        Port = Port,
        VirtualHost = VirtualHost,
        UserName = Username,
        Password = Password,
        ClientProvidedName = clientName,
        // Recovery is the transport's own: it knows which deliveries died with a channel.
        AutomaticRecoveryEnabled = false,
        TopologyRecoveryEnabled = false,
        RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
    };
}
