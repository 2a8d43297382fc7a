namespace LlmQueue.Serving.Operations;

/// <summary>Accelerator memory as its runner reports it, in bytes.</summary>
public readonly record struct DeviceMemory(long UsedBytes, long TotalBytes);
