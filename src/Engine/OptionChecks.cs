namespace LlmQueue.Engine;

/// <summary>Rules the options' Validate methods share, each failure naming "section:key" and the value found.</summary>
internal static class OptionChecks
{
    public static void AddIfNotPositive(List<string> failures, string section, string key, int value)
    {
        if (value <= 0)
        {
            failures.Add($"{section}:{key} must be > 0, got {value}.");
        }
    }
}
