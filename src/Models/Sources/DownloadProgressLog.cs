using System.Globalization;

namespace LlmQueue.Models.Sources;

/// <summary>
/// Turns download progress into readable lines ("model.safetensors: 1.2 GiB / 4.0 GiB (30%)") for a log or a
/// console: the first report of a file, then at most one line per file per interval, and always the completion.
/// </summary>
public sealed class DownloadProgressLog : IProgress<DownloadProgress>
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    private readonly Action<string> _write;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, long> _lastLineAt = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public DownloadProgressLog(Action<string> write, TimeSpan? interval = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        _write = write;
        _interval = interval ?? TimeSpan.FromSeconds(5);
        _time = time ?? TimeProvider.System;
    }

    public void Report(DownloadProgress value)
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (!value.IsComplete && _lastLineAt.TryGetValue(value.File, out long last) && _time.GetElapsedTime(last, now) < _interval)
            {
                return;
            }

            _lastLineAt[value.File] = now;
            _write(Format(value));
        }
    }

    public static string Format(DownloadProgress value) => value switch
    {
        { IsComplete: true } => $"{value.File}: done, {FormatBytes(value.BytesDone)}",
        { TotalBytes: > 0 and long total } => string.Create(CultureInfo.InvariantCulture,
            $"{value.File}: {FormatBytes(value.BytesDone)} / {FormatBytes(total)} ({100.0 * value.BytesDone / total:0}%)"),
        _ => $"{value.File}: {FormatBytes(value.BytesDone)}",
    };

    public static string FormatBytes(long bytes)
    {
        double size = bytes;
        int unit = 0;
        while (size >= 1024 && unit < Units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{size:0.0} {Units[unit]}");
    }
}
