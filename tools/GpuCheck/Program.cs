using LlmQueue.GpuCheck;

// The GPU check (tools/gpu-check.sh runs it on the device machine; see docs/gpu-runs/README.md).
var options = CheckOptions.Parse(args, out string error);
if (options is null)
{
    Console.Error.WriteLine($"gpu-check: {error}\n{CheckOptions.Usage}");
    return 2;
}

return new CheckRun(options, Console.Out).Execute();
