using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// The Worker executable as a child process (dotnet LlmQueue.Worker.dll from the test's output folder): for what only a
/// real process shows — kill -9, SIGTERM, exit codes, memory limits, resident memory.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();
    private long _peakRss;

    private WorkerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the worker with <paramref name="args"/> ("--Key=Value") and extra environment variables.</summary>
    public static WorkerProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LlmQueue.Worker.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("The test project must reference src/Worker so its executable is copied next to the tests.", dll);
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new WorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start."));
    }

    /// <summary>Waits until the output contains <paramref name="text"/> (e.g. the "Receiving requests" line).</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > timeout)
            {
                throw new InvalidOperationException($"The worker did not print '{text}' ({(_process.HasExited ? $"exited with {_process.ExitCode}" : "timed out")}). Output:\n{Output}");
            }

            SampleRss();
            await Task.Delay(50);
        }
    }

    /// <summary>kill -9: no drain, no goodbye.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as an orchestrator stops a container.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
        return _process.ExitCode;
    }

    /// <summary>The process's resident set high-water mark (VmHWM), in bytes; 0 once it exited.</summary>
    public long PeakRssBytes
    {
        get
        {
            SampleRss();
            return Interlocked.Read(ref _peakRss);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void SampleRss()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                    var bytes = kib * 1024;
                    long seen;
                    while ((seen = Interlocked.Read(ref _peakRss)) < bytes && Interlocked.CompareExchange(ref _peakRss, bytes, seen) != seen)
                    {
                    }
                }
            }
        }
        catch (IOException)
        {
            // Exited.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.AppendLine(line);
        }
    }
}
