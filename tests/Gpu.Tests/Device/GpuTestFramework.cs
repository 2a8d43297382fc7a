using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("LlmQueue.Gpu.Tests.Device.GpuTestFramework", "LlmQueue.Gpu.Tests")]

namespace LlmQueue.Gpu.Tests.Device;

/// <summary>
/// xunit's own framework, except that on a machine without a GPU each test method of a [RequiresGpu] class is
/// discovered as one skipped case ("not run (no GPU): reason") instead of its facts and theory rows: an inherited
/// test cannot carry a Skip of its own.
/// </summary>
public sealed class GpuTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Discoverer(IAssemblyInfo assembly, ISourceInformationProvider sources, IMessageSink diagnostics)
        : XunitTestFrameworkDiscoverer(assembly, sources, diagnostics)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            bool needsGpu = testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresGpuAttribute)).Any();
            if (!needsGpu || GpuPresence.MissingReason is null || !testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Any())
            {
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            }

            var skipped = new NoGpuTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
            return ReportDiscoveredTestCase(skipped, includeSourceInformation, messageBus);
        }
    }
}

/// <summary>A test case that is skipped because this machine has no GPU.</summary>
public sealed class NoGpuTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public NoGpuTestCase()
    {
    }

    public NoGpuTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
        : base(diagnostics, display, options, method)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        GpuPresence.SkipReason(GpuPresence.MissingReason ?? "the device disappeared after discovery");
}
