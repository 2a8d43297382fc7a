using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// A private redis-server child process on a free loopback port (no persistence), killed on dispose. It can be
/// stopped and started again on the same port, as a Redis restart looks to a client.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private static readonly TimeSpan _startupTimeout = TimeSpan.FromSeconds(20);
    private readonly string[] _extraArguments;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private RedisServer(int port, string[] extraArguments)
    {
        Port = port;
        _extraArguments = extraArguments;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Starts redis-server with <paramref name="extraArguments"/> (e.g. "--maxmemory", "2mb").</summary>
    public static async Task<RedisServer> StartAsync(params string[] extraArguments)
    {
        var server = new RedisServer(LoopbackPort.Free(), extraArguments);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("redis-server is already running.");
        }

        var port = Port.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("redis-server", ["--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", .. _extraArguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        }
        catch (Win32Exception exception)
        {
            throw new InvalidOperationException(
                "redis-server is not on PATH. Install it (sudo apt-get install -y redis-server) or set LLMQ_TEST_REDIS_PORT to a running Redis.", exception);
        }

        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilAnsweringAsync();
    }

    /// <summary>Kills the server the way a crash would (SIGKILL).</summary>
    public void Stop()
    {
        if (_process is null)
        {
            return;
        }

        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();

    private async Task WaitUntilAnsweringAsync()
    {
        // Polls a process we started for readiness; there is nothing to await instead.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < _startupTimeout)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}:\n{Output()}");
            }

            if (await AnswersPingAsync())
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }

        throw new TimeoutException($"redis-server on port {Port} did not answer PING within {_startupTimeout}:\n{Output()}");
    }

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var reply = new byte[7];
            var read = await stream.ReadAsync(reply);
            return Encoding.ASCII.GetString(reply, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }
}
