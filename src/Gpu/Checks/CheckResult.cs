namespace LlmQueue.Gpu.Checks;

public enum CheckOutcome
{
    Passed,
    Failed,
    NotRun,
}

/// <summary>One named check of a GPU run: its outcome and what was measured (error against tolerance, or why not run).</summary>
public sealed record CheckResult(string Name, CheckOutcome Outcome, string Detail)
{
    public static CheckResult Compare(string name, double error, double tolerance) =>
        new(name, error < tolerance ? CheckOutcome.Passed : CheckOutcome.Failed, $"relative error {error:E2} (tolerance {tolerance:E0})");

    public static CheckResult Failure(string name, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(name, CheckOutcome.Failed, $"{error.GetType().Name}: {error.Message}");
    }
}
