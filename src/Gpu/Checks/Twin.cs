using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Checks;

/// <summary>One buffer allocated twice with the same contents: on the device and in the fake driver's memory.</summary>
public readonly record struct Twin(DevicePointer Device, DevicePointer Reference, long Bytes)
{
    public DevicePointer On(bool device) => device ? Device : Reference;
}
