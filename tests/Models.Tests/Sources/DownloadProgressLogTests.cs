using LlmQueue.Models.Sources;
using LlmQueue.TestKit;

namespace LlmQueue.Models.Tests.Sources;

public class DownloadProgressLogTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void Writes_the_first_report_then_at_most_one_line_per_interval_and_always_the_completion()
    {
        var lines = new List<string>();
        var clock = new ManualTimeProvider();
        var log = new DownloadProgressLog(lines.Add, TimeSpan.FromSeconds(5), clock);

        log.Report(new DownloadProgress("model.safetensors", 0, 8 * MiB));
        clock.Advance(TimeSpan.FromSeconds(4));
        log.Report(new DownloadProgress("model.safetensors", 2 * MiB, 8 * MiB));
        log.Report(new DownloadProgress("config.json", 0, 600));
        clock.Advance(TimeSpan.FromSeconds(1));
        log.Report(new DownloadProgress("model.safetensors", 3 * MiB, 8 * MiB));
        log.Report(new DownloadProgress("model.safetensors", 8 * MiB, 8 * MiB));

        Assert.Equal(
            [
                "model.safetensors: 0 B / 8.0 MiB (0%)",
                "config.json: 0 B / 600 B (0%)",
                "model.safetensors: 3.0 MiB / 8.0 MiB (38%)",
                "model.safetensors: done, 8.0 MiB",
            ],
            lines);
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(5L << 30, "5.0 GiB")]
    public void Formats_sizes_in_binary_units(long bytes, string expected) =>
        Assert.Equal(expected, DownloadProgressLog.FormatBytes(bytes));

    [Fact]
    public void Unknown_total_shows_only_the_bytes_done() =>
        Assert.Equal("tokenizer.json: 1.0 KiB", DownloadProgressLog.Format(new DownloadProgress("tokenizer.json", 1024, null)));
}
