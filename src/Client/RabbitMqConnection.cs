namespace LlmQueue.Client;

/// <summary>Same shape as the worker's Transport:RabbitMq section, so one configuration serves both.</summary>
public sealed class RabbitMqConnection
{
    public string Host { get; set; } = "localhost";

    public ushort Port { get; set; } = 5672;

    public string VirtualHost { get; set; } = "/";

    public string Username { get; set; } = "guest";

    public string Password { get; set; } = "guest";
}
