using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Devices;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Compilation;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;
using LlmQueue.Gpu.Planning;

namespace LlmQueue.GpuCheck;

/// <summary>
/// One run of the checks, stage by stage, each stage's failure recorded rather than fatal, so the report is always
/// written: environment, compile (device NVRTC: PTX entry lists, ptxas spills and shared memory, driver-reported
/// local memory), every kernel against its reference, whole forward passes against the reference path (and graph
/// replays against direct launches), then the figures.
/// </summary>
internal sealed class CheckRun(CheckOptions options, TextWriter log)
{
    private const int Seed = 20261130;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>0: every check passed; 1: a check failed; 3: no GPU (the report says so).</summary>
    public int Execute()
    {
        var report = new GpuRunReport(DateTimeOffset.UtcNow, options.Commit);
        report.Environment("host", $"{Environment.MachineName}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} CPUs");
        report.Environment("program", $".NET {Environment.Version}; {(options.Fake ? "fake driver standing in for the device (self-test)" : $"device {options.Device}")}");
        int exit;
        if (!options.Fake && CudaDriverApi.CountDevices(out string reason) == 0)
        {
            Log($"no GPU: {reason}");
            report.Environment("device", $"none ({reason})");
            report.Add(new CheckResult("every device check", CheckOutcome.NotRun, $"not run (no GPU): {reason}"));
            exit = 3;
        }
        else
        {
            Run(report);
            exit = report.Failed == 0 ? 0 : 1;
        }

        Directory.CreateDirectory(options.OutputFolder);
        string path = Path.Combine(options.OutputFolder, report.FileName);
        File.WriteAllText(path, report.Render());
        foreach (var check in report.Checks)
        {
            log.WriteLine($"{check.Outcome,-7} {check.Name}: {check.Detail}");
        }

        Log($"{report.Checks.Count(c => c.Outcome == CheckOutcome.Passed)} passed, {report.Failed} failed, {report.Checks.Count(c => c.Outcome == CheckOutcome.NotRun)} not run; report {path}");
        return exit;
    }

    private void Run(GpuRunReport report)
    {
        using var reference = new ReferenceBackend();
        IGpuBackend device;
        try
        {
            device = options.Fake ? new ReferenceBackend() : OpenDevice(report);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            report.Add(CheckResult.Failure("open the device (driver, NVRTC compile, module load, cuBLAS)", error));
            return;
        }

        try
        {
            Describe(report, device);
            Stage(report, "compile check", () => CompileChecks(report, device));
            Stage(report, "kernel checks", () =>
            {
                using var mirror = new KernelMirror(device.Cuda, device.Kernels, device.Blas, reference.Fake, reference.Kernels, reference.Blas);
                report.AddRange(KernelChecks.Run(mirror, Seed, OutOfTime));
            });
            if (options.Quick)
            {
                report.Note("--quick: whole-model checks and figures not run.");
                return;
            }

            Stage(report, "runner conformance", () => report.AddRange(ConformanceRun.Run(device, OutOfTime)));
            Stage(report, "greedy continuations vs the CPU runner", () => report.AddRange(GreedyComparison.Run(device, OutOfTime)));
            if (options.Fake)
            {
                Stage(report, "forward checks", () => ForwardStage(report, device, reference));
                report.Note("Figures not measured: the fake driver has no device to time.");
                return;
            }

            double copyBandwidth = 0;
            Stage(report, "figures", () => copyBandwidth = Figures(report, device));
            var runnerFigures = new RunnerFigures(device, copyBandwidth, options.HfScript, Log);
            foreach (var (name, spec) in RunnerFigures.Shapes)
            {
                Stage(report, $"decode figures {name}", () =>
                {
                    Log($"writing or reusing the {name}-shaped checkpoint...");
                    using var model = LlamaModel.Load(CheckModels.Folder(name, spec));
                    runnerFigures.DecodeBatchOne(name, model).ToList().ForEach(report.Add);
                    runnerFigures.Breakdown(name, model).ToList().ForEach(report.Add);
                });
            }

            foreach (var (name, spec) in RunnerFigures.Shapes)
            {
                Stage(report, $"throughput figures {name}", () =>
                {
                    string folder = CheckModels.Folder(name, spec);
                    using var model = LlamaModel.Load(folder);
                    runnerFigures.Throughput(name, folder, model).ToList().ForEach(report.Add);
                });
            }

            // Round 1's whole-pass comparison last: the conformance suite and the greedy check above cover most of it.
            Stage(report, "forward checks", () => ForwardStage(report, device, reference));
        }
        finally
        {
            (device as IDisposable)?.Dispose();
        }
    }

    private void ForwardStage(GpuRunReport report, IGpuBackend device, IGpuBackend reference)
    {
        var models = CheckModels.Specs.Select(s => (s.Name, CheckModels.Load(s.Name, s.Spec))).ToArray();
        try
        {
            report.AddRange(ForwardChecks.Run(device, reference, models, OutOfTime));
        }
        finally
        {
            Array.ForEach(models, m => m.Item2.Dispose());
        }
    }

    private DeviceBackend OpenDevice(GpuRunReport report)
    {
        // A fresh cache folder: the compile is timed cold, as a first start would be.
        string cache = Path.Combine(Path.GetTempPath(), $"llmq-gpu-check-kernels-{Environment.ProcessId}");
        var backend = DeviceBackend.Open(options.Device, new KernelCache(cache));
        report.Environment("kernel compile", $"{backend.Compiled.Target}, {backend.CompileTime.TotalSeconds:F1} s cold (NVRTC), image {backend.Compiled.Image.Length} bytes ({(backend.Compiled.ImageIsCubin ? "CUBIN" : "PTX for the driver to finish")})");
        return backend;
    }

    private void Describe(GpuRunReport report, IGpuBackend device)
    {
        var info = device.Cuda.Device;
        var (free, total) = device.Cuda.MemoryInfo();
        report.Environment("device", $"{info.Name}, compute capability {info.ComputeMajor}.{info.ComputeMinor}, {info.Multiprocessors} SMs, {total >> 20} MiB ({free >> 20} MiB free), L2 {info.L2CacheBytes >> 20} MiB, shared memory per block {info.SharedMemoryPerBlock >> 10} KiB (opt-in {info.SharedMemoryPerBlockOptIn >> 10} KiB)");
        report.Environment("driver", device is DeviceBackend d ? $"CUDA {info.DriverVersionText} ({d.DriverLibrary})" : "fake");
        report.Environment("NVRTC", device is DeviceBackend n ? $"{n.Compiler.Version} ({n.Compiler.LibraryName}); architectures {string.Join(",", n.Compiler.SupportedArchitectures)}" : NvrtcCompiler.TryLoad() is { } local ? $"{local.Version} ({local.LibraryName}), host only" : "none");
        report.Environment("cuBLAS", device.Blas.Version);
        Log($"device: {info.Name}, {info.Architecture}, {info.Multiprocessors} SMs; cuBLAS {device.Blas.Version}");
    }

    /// <summary>The device NVRTC's output: entry parameter lists, ptxas's spill and shared-memory report, and the driver's view of each loaded kernel.</summary>
    private static void CompileChecks(GpuRunReport report, IGpuBackend device)
    {
        CompiledKernels compiled;
        if (device is DeviceBackend backend)
        {
            compiled = backend.Compiled;
        }
        else if (NvrtcCompiler.TryLoad() is { } local)
        {
            compiled = local.Compile(KernelSources.Embedded(), "sm_90");
        }
        else
        {
            report.Add(new CheckResult("compile check", CheckOutcome.NotRun, "not run: no NVRTC on this machine"));
            return;
        }

        var entries = PtxEntry.Parse(compiled.Ptx).ToDictionary(e => e.Name);
        var mismatched = KernelCatalog.All
            .Where(s => !entries.TryGetValue(s.Name, out var e) || !e.ParameterTypes.SequenceEqual(s.Parameters.Select(p => p.PtxType)))
            .Select(s => s.Name)
            .ToArray();
        report.Add(new CheckResult(
            "PTX entry parameter lists match the C# launch signatures",
            mismatched.Length == 0 && entries.Count == KernelCatalog.All.Count ? CheckOutcome.Passed : CheckOutcome.Failed,
            mismatched.Length == 0 ? $"{entries.Count} entries" : "mismatched: " + string.Join(", ", mismatched)));

        var resources = KernelResources.Parse(compiled.Log);
        var attributes = device.Kernels.Attributes();
        var spilling = new List<string>();
        foreach (var signature in KernelCatalog.All)
        {
            var attribute = attributes[signature.Name];
            string ptxas = resources.TryGetValue(signature.Name, out var r)
                ? $"ptxas: {r.Registers} registers, {r.StaticSharedBytes} B shared, {r.StackFrameBytes} B stack, {r.SpillStoreBytes}/{r.SpillLoadBytes} B spilled"
                : "ptxas: no report";
            report.KernelRow(signature.Name, $"{ptxas}; driver: {attribute.Registers} registers, {attribute.StaticSharedBytes} B shared, {attribute.LocalBytes} B local");
            if (r is null || r.SpillStoreBytes + r.SpillLoadBytes > 0 || attribute.LocalBytes > 0 || r.StaticSharedBytes > 48 * 1024)
            {
                spilling.Add(signature.Name);
            }
        }

        report.Add(new CheckResult(
            "no register spills or local memory, shared memory within 48 KiB",
            spilling.Count == 0 ? CheckOutcome.Passed : CheckOutcome.Failed,
            spilling.Count == 0 ? $"{KernelCatalog.All.Count} kernels ({compiled.Target}, NVRTC {compiled.NvrtcVersion})" : "over budget: " + string.Join(", ", spilling)));
    }

    /// <summary>Copy bandwidths, the attention kernel alone, and the small model's graphed step; returns the device copy bandwidth (GB/s).</summary>
    private double Figures(GpuRunReport report, IGpuBackend device)
    {
        var cuda = device.Cuda;
        var copy = DeviceMeasurements.CopyBandwidth(cuda);
        report.Add(copy);
        DeviceMeasurements.HostCopyBandwidth(cuda).ToList().ForEach(report.Add);
        Log($"copy bandwidth {copy.Median:F0} GB/s");
        (string Name, int Heads, int KvHeads, int HeadDim)[] shapes = [("Llama-3.2-1B", 32, 8, 64), ("Qwen3-0.6B", 16, 8, 128), ("gemma-3-1b", 4, 1, 256)];
        foreach (var shape in shapes)
        {
            foreach (int context in new[] { 4096, 16384, 32768 })
            {
                foreach (int sequences in new[] { 1, 16 })
                {
                    report.Add(DeviceMeasurements.DecodeAttention(device, shape.Name, shape.Heads, shape.KvHeads, shape.HeadDim, context, sequences, copy.Median));
                }
            }
        }

        Log("attention figures done");
        if (device.Blas is RoutedBlas routed)
        {
            (string, int, int, int)[] products =
            [
                ("Llama-3.2-1B qkv", 1, 3072, 2048), ("Llama-3.2-1B o", 1, 2048, 2048), ("Llama-3.2-1B gate+up", 1, 16384, 2048),
                ("Llama-3.2-1B down", 1, 2048, 8192), ("Llama-3.2-1B lm_head", 1, 128256, 2048),
                ("gemma-3-1b qkv", 1, 1536, 1152), ("gemma-3-1b o", 1, 1152, 1024), ("gemma-3-1b gate+up", 1, 13824, 1152),
                ("gemma-3-1b down", 1, 1152, 6912), ("gemma-3-1b lm_head", 1, 262144, 1152),
            ];
            DeviceMeasurements.DecodeProducts(device, routed.Library, products, copy.Median).ToList().ForEach(report.Add);
            Log("decode product figures done");
        }

        using var model = CheckModels.Load("small-100m", SyntheticModelSpec.Small100M);
        foreach (int batch in new[] { 1, 8 })
        {
            using var harness = new ForwardHarness(cuda, device.Blas, device.Kernels, model, 16, 64, new StepLimits(256, 8, 512), shuffleSeed: 3);
            harness.Step([.. Enumerable.Range(0, batch).Select(s => (s, Enumerable.Range(1, 16).ToArray(), true))]);
            harness.DecodeWithGraph(new GraphBuckets(8), [.. Enumerable.Range(0, batch).Select(s => (s, 7))]);
            var (direct, graph) = harness.TimeLastGraphedStep(50);
            double roofline = model.Weights.DecodeWeightBytes / copy.Median / 1e6;
            report.Add(new Measurement($"decode step small-100m (bf16, 12 layers), batch {batch}, graph replay", graph * 1000, "us",
                $"direct launches {direct * 1000:F0} us; weights-only roofline {roofline * 1000:F0} us at the measured copy bandwidth"));
        }

        return copy.Median;
    }

    private bool OutOfTime() => _clock.Elapsed.TotalSeconds > options.BudgetSeconds;

    private void Stage(GpuRunReport report, string name, Action stage)
    {
        if (OutOfTime())
        {
            report.Add(new CheckResult(name, CheckOutcome.NotRun, $"not run: the {options.BudgetSeconds} s budget was spent"));
            return;
        }

        Log($"{name}...");
        try
        {
            stage();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            report.Add(CheckResult.Failure(name, error));
            Log($"{name} failed: {error}");
        }
    }

    private void Log(string text) => log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:F1}s] {text}"));
}
