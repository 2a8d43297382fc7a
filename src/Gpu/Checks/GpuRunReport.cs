using System.Globalization;
using System.Text;

namespace LlmQueue.Gpu.Checks;

/// <summary>
/// The markdown record of one GPU run (docs/gpu-runs/&lt;date&gt;-&lt;commit&gt;.md): where and what it ran on, each check
/// as passed / failed / not run with its measured error, and the figures with their method. Written even when
/// checks fail or no GPU is found.
/// </summary>
public sealed class GpuRunReport
{
    private readonly List<(string Key, string Value)> _environment = [];
    private readonly List<CheckResult> _checks = [];
    private readonly List<Measurement> _measurements = [];
    private readonly List<string> _kernelRows = [];
    private readonly List<string> _notes = [];

    public GpuRunReport(DateTimeOffset started, string commit)
    {
        Started = started;
        Commit = commit;
    }

    public DateTimeOffset Started { get; }

    public string Commit { get; }

    public IReadOnlyList<CheckResult> Checks => _checks;

    public int Failed => _checks.Count(c => c.Outcome == CheckOutcome.Failed);

    /// <summary>File name: &lt;date&gt;-&lt;commit&gt;.md.</summary>
    public string FileName => $"{Started.UtcDateTime:yyyy-MM-dd}-{Commit}.md";

    public void Environment(string key, string value) => _environment.Add((key, value));

    public void Add(CheckResult check) => _checks.Add(check);

    public void AddRange(IEnumerable<CheckResult> checks) => _checks.AddRange(checks);

    public void Add(Measurement measurement) => _measurements.Add(measurement);

    public void KernelRow(string name, string resources) => _kernelRows.Add($"| {name} | {resources} |");

    public void Note(string text) => _notes.Add(text);

    public string Render()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"# GPU run {Started.UtcDateTime:yyyy-MM-dd HH:mm} UTC, commit {Commit}");
        text.AppendLine();
        text.AppendLine(c, $"Checks: {_checks.Count(x => x.Outcome == CheckOutcome.Passed)} passed, {Failed} failed, {_checks.Count(x => x.Outcome == CheckOutcome.NotRun)} not run.");
        text.AppendLine();
        text.AppendLine("## Environment");
        text.AppendLine();
        foreach (var (key, value) in _environment)
        {
            text.AppendLine(c, $"- {key}: {value}");
        }

        if (_kernelRows.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Kernels as compiled on the device's NVRTC");
            text.AppendLine();
            text.AppendLine("| kernel | resources |");
            text.AppendLine("|---|---|");
            _kernelRows.ForEach(r => text.AppendLine(r));
        }

        text.AppendLine();
        text.AppendLine("## Checks");
        text.AppendLine();
        text.AppendLine("| check | result | detail |");
        text.AppendLine("|---|---|---|");
        foreach (var check in _checks)
        {
            string outcome = check.Outcome switch
            {
                CheckOutcome.Passed => "passed",
                CheckOutcome.Failed => "**FAILED**",
                _ => "not run",
            };
            text.AppendLine(c, $"| {Cell(check.Name)} | {outcome} | {Cell(check.Detail)} |");
        }

        if (_measurements.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Figures");
            text.AppendLine();
            text.AppendLine("Medians of 20 timed repeats after 3 warm-ups, CUDA events on the stream; inputs are not zeros.");
            text.AppendLine();
            text.AppendLine("| figure | median | detail |");
            text.AppendLine("|---|---|---|");
            foreach (var m in _measurements)
            {
                text.AppendLine(c, $"| {Cell(m.Name)} | {m.Median:G4} {m.Unit} | {Cell(m.Detail)} |");
            }
        }

        if (_notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Notes");
            text.AppendLine();
            _notes.ForEach(n => text.AppendLine(c, $"- {n}"));
        }

        return text.ToString();
    }

    private static string Cell(string value) => value.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
