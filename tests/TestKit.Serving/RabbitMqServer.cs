using Xunit;
using System.Diagnostics;
using RabbitMQ.Client;

namespace LlmQueue.TestKit.Serving;

/// <summary>
/// A real RabbitMQ for the collection: the one named by LLMQ_TEST_RABBITMQ_PORT (and LLMQ_TEST_RABBITMQ_NODE),
/// or a private rabbitmq-server started here on free loopback ports with its own data and log folders,
/// stopped again at the end.
/// </summary>
public sealed class RabbitMqServer : IAsyncLifetime
{
    private static readonly TimeSpan _startupTimeout = TimeSpan.FromSeconds(90);
    private string? _ownNode;
    private string? _ownDirectory;
    private Process? _server;

    public int Port { get; private set; }

    /// <summary>The Erlang node name rabbitmqctl addresses.</summary>
    public string Node { get; private set; } = "";

    public ConnectionFactory ConnectionFactory => new() { HostName = "127.0.0.1", Port = Port, UserName = "guest", Password = "guest" };

    public async Task InitializeAsync()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("LLMQ_TEST_RABBITMQ_PORT"), out var port))
        {
            Port = port;
            Node = Environment.GetEnvironmentVariable("LLMQ_TEST_RABBITMQ_NODE") ?? "";
            return;
        }

        await StartOwnServerAsync();
    }

    public async Task DisposeAsync()
    {
        if (_ownNode is null)
        {
            return;
        }

        await RunCtlAsync(["-n", _ownNode, "stop"], TimeSpan.FromSeconds(30));
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
        }

        _server?.Dispose();
        TryDeleteDirectory(_ownDirectory);
    }

    /// <summary>Messages delivered from <paramref name="queue"/> and not yet acknowledged (asks rabbitmqctl); 0 when the queue does not exist.</summary>
    public async Task<int> UnacknowledgedAsync(string queue)
    {
        var (exit, output) = await RunCtlWithOutputAsync(["-n", Node, "list_queues", "-q", "--no-table-headers", "name", "messages_unacknowledged"], TimeSpan.FromSeconds(60));
        if (exit != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl list_queues failed with {exit}: {output}");
        }

        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split('\t', StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && parts[0] == queue)
            {
                return int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Messages ready in <paramref name="queue"/>; 0 when the queue does not exist.</summary>
    public async Task<uint> ReadyMessagesAsync(string queue)
    {
        await using var connection = await ConnectionFactory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    private async Task StartOwnServerAsync()
    {
        EnsureErlangCookie();
        Port = LoopbackPort.Free();
        var distPort = LoopbackPort.Free();
        _ownNode = $"llmq-{Guid.NewGuid():N}"[..13] + "@localhost";
        Node = _ownNode;
        _ownDirectory = Directory.CreateTempSubdirectory("llmq-rabbitmq-").FullName;
        var config = Path.Combine(_ownDirectory, "rabbitmq.conf");
        await File.WriteAllTextAsync(config, $"listeners.tcp.1 = 127.0.0.1:{Port}\nloopback_users = none\ncollect_statistics_interval = 500\n");
        var plugins = Path.Combine(_ownDirectory, "enabled_plugins");
        await File.WriteAllTextAsync(plugins, "[].\n");

        var start = new ProcessStartInfo("setsid", [RabbitBinary("rabbitmq-server")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["RABBITMQ_NODENAME"] = _ownNode;
        start.Environment["RABBITMQ_NODE_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RABBITMQ_DIST_PORT"] = distPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RABBITMQ_MNESIA_BASE"] = Directory.CreateDirectory(Path.Combine(_ownDirectory, "mnesia")).FullName;
        start.Environment["RABBITMQ_LOG_BASE"] = Directory.CreateDirectory(Path.Combine(_ownDirectory, "log")).FullName;
        start.Environment["RABBITMQ_CONFIG_FILE"] = config;
        start.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins;
        start.Environment["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
        _server = Process.Start(start) ?? throw new InvalidOperationException("rabbitmq-server did not start.");
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        await WaitForStartupAsync(_ownNode);
    }

    private async Task WaitForStartupAsync(string node)
    {
        // await_startup fails at once while the node has not registered with epmd yet, so it is retried.
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < _startupTimeout)
        {
            if (await RunCtlAsync(["-n", node, "await_startup", "--timeout", "60"], _startupTimeout) == 0)
            {
                return;
            }

            if (_server is { HasExited: true })
            {
                throw new InvalidOperationException($"rabbitmq-server exited with {_server.ExitCode}; see the logs under {_ownDirectory}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        throw new TimeoutException($"rabbitmq node {node} did not start within {_startupTimeout}; see the logs under {_ownDirectory}.");
    }

    private static async Task<int> RunCtlAsync(string[] args, TimeSpan timeout) => (await RunCtlWithOutputAsync(args, timeout)).ExitCode;

    private static async Task<(int ExitCode, string Output)> RunCtlWithOutputAsync(string[] args, TimeSpan timeout)
    {
        using var ctl = Process.Start(new ProcessStartInfo(RabbitBinary("rabbitmqctl"), args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("rabbitmqctl did not start.");
        var output = ctl.StandardOutput.ReadToEndAsync();
        var error = ctl.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await ctl.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            ctl.Kill(entireProcessTree: true);
            return (-1, "");
        }

        await Task.WhenAll(output, error);
        return (ctl.ExitCode, await output + await error);
    }

    // The Debian wrappers in /usr/sbin switch to the rabbitmq user, which cannot write our temp folders and
    // reads another cookie; the real scripts run as the current user with its ~/.erlang.cookie.
    private static string RabbitBinary(string name)
    {
        var direct = Path.Combine("/usr/lib/rabbitmq/bin", name);
        return File.Exists(direct) ? direct : name;
    }

    private static void EnsureErlangCookie()
    {
        var cookie = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".erlang.cookie");
        if (File.Exists(cookie))
        {
            return;
        }

        File.WriteAllText(cookie, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead);
        }
    }

    private static void TryDeleteDirectory(string? path)
    {
        try
        {
            if (path is not null)
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A log file still held by a dying beam process; the temp folder is harmless.
        }
    }
}
