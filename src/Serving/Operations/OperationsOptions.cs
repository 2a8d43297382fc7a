namespace LlmQueue.Serving.Operations;

/// <summary>The operations endpoint and telemetry export (section "Operations").</summary>
public sealed class OperationsOptions
{
    public const string SectionName = "Operations";

    /// <summary>
    /// Seconds the host allows itself after the drain timeout: returning unfinished deliveries, closing connections,
    /// flushing telemetry. HostOptions.ShutdownTimeout is DrainTimeoutSeconds plus this.
    /// </summary>
    public const int StopMarginSeconds = 30;

    /// <summary>TCP port of /healthz, /readyz and /metrics; 0 turns the endpoint off.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>IP address to listen on; "*" = every interface (IPv6 and IPv4).</summary>
    public string BindAddress { get; set; } = "*";

    /// <summary>OTLP collector URL for traces and metrics (e.g. http://otel-collector:4317); empty = no export.</summary>
    public string OtlpEndpoint { get; set; } = "";

    public OtlpWireProtocol OtlpProtocol { get; set; } = OtlpWireProtocol.Grpc;

    /// <summary>
    /// Liveness fails when requests are running and the engine has finished no step for this long (a hung device or
    /// kernel: only a restart helps); 0 = not checked.
    /// </summary>
    public int EngineStallSeconds { get; set; } = 120;

    /// <summary>
    /// The orchestrator's grace period between SIGTERM and SIGKILL (Kubernetes / Container Apps
    /// terminationGracePeriodSeconds), when known; the drain and the stop margin must fit in it. 0 = not known.
    /// </summary>
    public int TerminationGracePeriodSeconds { get; set; }
}
