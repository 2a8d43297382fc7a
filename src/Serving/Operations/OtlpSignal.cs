using OpenTelemetry.Exporter;

namespace LlmQueue.Serving.Operations;

/// <summary>The OTLP exporter's settings per signal (named options), from Operations:OtlpEndpoint and OtlpProtocol.</summary>
internal static class OtlpSignal
{
    public const string Metrics = "llmq-metrics";

    public const string Traces = "llmq-traces";

    public static void Configure(OtlpExporterOptions otlp, OperationsOptions operations, string signal)
    {
        var endpoint = new Uri(operations.OtlpEndpoint);
        if (operations.OtlpProtocol == OtlpWireProtocol.HttpProtobuf)
        {
            // Set in code, the HTTP endpoint is used as given: the signal's path is ours to add.
            otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
            otlp.Endpoint = new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + (signal == Traces ? "/v1/traces" : "/v1/metrics"));
        }
        else
        {
            otlp.Protocol = OtlpExportProtocol.Grpc;
            otlp.Endpoint = endpoint;
        }
    }
}
