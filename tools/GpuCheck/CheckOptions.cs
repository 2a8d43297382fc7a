namespace LlmQueue.GpuCheck;

/// <summary>Command line of the check program.</summary>
/// <param name="OutputFolder">Where the report goes (default: $OUT, else ./gpu-run).</param>
/// <param name="Commit">Commit the build came from (names the report).</param>
/// <param name="Fake">Run every check with the fake driver standing in for the device: a self-test of this program.</param>
/// <param name="Quick">Skip the whole-model checks and the figures (kernel checks only).</param>
/// <param name="BudgetSeconds">Stages not started by then are reported as not run, so the report is always written in time.</param>
/// <param name="HfScript">tools/parity/hf_generate.py, for the transformers throughput baseline; null: not measured.</param>
internal sealed record CheckOptions(string OutputFolder, string Commit, bool Fake, bool Quick, int Device, int BudgetSeconds, string? HfScript)
{
    public const string Usage = "usage: gpu-check [--out DIR] [--commit SHA] [--device N] [--budget SECONDS] [--hf-script PATH] [--fake] [--quick]";

    /// <summary>The options, or null with a message for an unknown or incomplete argument.</summary>
    public static CheckOptions? Parse(string[] args, out string error)
    {
        string output = Environment.GetEnvironmentVariable("OUT") is { Length: > 0 } o ? o : Path.Combine(Environment.CurrentDirectory, "gpu-run");
        string commit = "unknown";
        bool fake = false;
        bool quick = false;
        int device = 0;
        int budget = 420;
        string? hfScript = null;
        error = "";
        for (int i = 0; i < args.Length; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--out":
                    output = Value() ?? "";
                    break;
                case "--commit":
                    commit = Value() ?? "";
                    break;
                case "--device":
                    if (!int.TryParse(Value(), out device) || device < 0)
                    {
                        error = "--device needs a device index >= 0";
                        return null;
                    }

                    break;
                case "--budget":
                    if (!int.TryParse(Value(), out budget) || budget <= 0)
                    {
                        error = "--budget needs a number of seconds > 0";
                        return null;
                    }

                    break;
                case "--hf-script":
                    hfScript = Value();
                    if (hfScript is null || !File.Exists(hfScript))
                    {
                        error = "--hf-script needs an existing file";
                        return null;
                    }

                    break;
                case "--fake":
                    fake = true;
                    break;
                case "--quick":
                    quick = true;
                    break;
                default:
                    error = $"unknown argument '{args[i]}'";
                    return null;
            }
        }

        if (output.Length == 0 || commit.Length == 0)
        {
            error = "--out and --commit need a value";
            return null;
        }

        return new CheckOptions(output, commit, fake, quick, device, budget, hfScript);
    }
}
