namespace LlmQueue.Serving.Operations;

/// <summary>
/// Where the device-memory gauges (llmq.device.memory_used / memory_total) read from. A GPU runner's registration
/// adds one; the CPU runner has no device memory, so nothing is registered and the gauges are not published.
/// </summary>
public interface IDeviceMemoryProbe
{
    /// <summary>The device's memory now, or null when it cannot be read this time (the gauge then skips a sample).</summary>
    DeviceMemory? Read();
}
