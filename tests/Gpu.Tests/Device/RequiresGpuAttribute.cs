namespace LlmQueue.Gpu.Tests.Device;

/// <summary>
/// Every test of the class (its inherited ones too, such as a conformance suite's) needs a CUDA device: where there is
/// none, <see cref="GpuTestFramework"/> reports each as skipped with "not run (no GPU): reason", never as passed.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RequiresGpuAttribute : Attribute;
