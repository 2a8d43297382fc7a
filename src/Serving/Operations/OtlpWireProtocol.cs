namespace LlmQueue.Serving.Operations;

/// <summary>How telemetry is sent to <see cref="OperationsOptions.OtlpEndpoint"/>.</summary>
public enum OtlpWireProtocol
{
    /// <summary>OTLP over gRPC (collector port 4317).</summary>
    Grpc,

    /// <summary>OTLP over HTTP with protobuf bodies (collector port 4318; /v1/traces and /v1/metrics are appended).</summary>
    HttpProtobuf,
}
