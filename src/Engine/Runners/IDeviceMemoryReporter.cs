namespace LlmQueue.Engine.Runners;

/// <summary>
/// A runner whose memory lives on an accelerator (the device-memory gauges llmq.device.memory_used / memory_total
/// read it). The CPU runner has no device memory and does not implement it, so no device gauges are published.
/// </summary>
public interface IDeviceMemoryReporter
{
    /// <summary>The device's memory now, from any thread; null when it cannot be read this time (the gauge skips a sample).</summary>
    DeviceMemory? ReadDeviceMemory();
}
