using LlmQueue.Transport.RabbitMq;
using LlmQueue.Transport.ServiceBus;
using System.CommandLine;
using System.CommandLine.Parsing;
using LlmQueue.Client;
using LlmQueue.Contracts;

namespace LlmQueue.Cli;

/// <summary>The llmq command line: options, their validation, and binding to settings records.</summary>
internal static class CliParser
{
    private static readonly Option<int> _maxTokens = Positive(new Option<int>("--max-tokens") { Description = "Tokens to generate at most.", DefaultValueFactory = _ => 64 });
    private static readonly Option<double?> _temperature = InRange(new Option<double?>("--temperature") { Description = "0 = greedy; default 1." }, 0, 100);
    private static readonly Option<double?> _topP = InRange(new Option<double?>("--top-p") { Description = "Nucleus mass in (0, 1]." }, double.Epsilon, 1);
    private static readonly Option<int?> _topK = InRange(new Option<int?>("--top-k") { Description = "Keep the K most likely tokens; 0 disables." }, 0, int.MaxValue);
    private static readonly Option<long?> _seed = new("--seed") { Description = "Same seed, same tokens." };
    private static readonly Option<bool> _stream = new("--stream") { Description = "Print tokens as they arrive." };
    private static readonly Option<string?> _rabbitMq = RabbitMqAddress(new Option<string?>("--rabbitmq") { Description = "host:port of a RabbitMQ broker; omitted = embedded worker." });
    private static readonly Option<string?> _serviceBus = ServiceBusConnectionString(new Option<string?>("--servicebus")
    {
        Description = "Azure Service Bus connection string (Endpoint=sb://...;SharedAccessKeyName=...;SharedAccessKey=...) of the workers' namespace.",
    });
    private static readonly Option<string> _replyQueue = ServiceBusEntity(new Option<string>("--reply-queue")
    {
        Description = "Service Bus: the session-enabled queue replies come back on.",
        DefaultValueFactory = _ => new ServiceBusOptions().ReplyQueue,
    });
    private static readonly Option<string> _user = new("--user") { Description = "RabbitMQ user.", DefaultValueFactory = _ => "guest" };
    private static readonly Option<string> _password = new("--password") { Description = "RabbitMQ password.", DefaultValueFactory = _ => "guest" };
    private static readonly Option<string> _queue = NotBlank(new Option<string>("--queue") { Description = "Request queue.", DefaultValueFactory = _ => new InferenceClientOptions().RequestQueue });
    private static readonly Option<int> _requests = InRange(new Option<int>("--requests") { Description = "Concurrent requests.", DefaultValueFactory = _ => 6 }, 1, 256);
    private static readonly Option<string?> _modelPath = new("--model-path") { Description = "Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json)." };
    private static readonly Argument<string> _prompt = new("prompt") { Description = "The prompt text." };

    public static RootCommand Build(
        Func<GenerateSettings, CancellationToken, Task<int>> generate, Func<DemoSettings, CancellationToken, Task<int>> demo)
    {
        var generateCommand = new Command("generate", "Send one prompt and print the reply, TTFT and tokens/s.")
        {
            _prompt, _maxTokens, _temperature, _topP, _topK, _seed, _stream, _rabbitMq, _user, _password, _serviceBus, _replyQueue, _queue,
        };
        generateCommand.Validators.Add(r =>
        {
            if (r.GetValue(_rabbitMq) is not null && r.GetValue(_serviceBus) is not null)
            {
                r.AddError("--rabbitmq and --servicebus name two brokers; pass one.");
            }
        });
        generateCommand.SetAction((result, ct) => generate(BindGenerate(result), ct));

        var demoCommand = new Command("demo", "Run a worker in-process and stream several prompts through it concurrently.")
        {
            _requests, _maxTokens, _modelPath, _rabbitMq, _user, _password, _queue,
        };
        demoCommand.SetAction((result, ct) => demo(BindDemo(result), ct));

        return new RootCommand("llmq: queue-driven LLM inference client") { generateCommand, demoCommand };
    }

    public static GenerateSettings BindGenerate(ParseResult result) => new(
        result.GetRequiredValue(_prompt),
        new SamplingParams
        {
            MaxTokens = result.GetValue(_maxTokens),
            Temperature = result.GetValue(_temperature),
            TopP = result.GetValue(_topP),
            TopK = result.GetValue(_topK),
            Seed = result.GetValue(_seed),
        },
        result.GetValue(_stream),
        BindBroker(result) with { ServiceBus = BindServiceBus(result) });

    public static DemoSettings BindDemo(ParseResult result) =>
        new(result.GetValue(_requests), result.GetValue(_maxTokens), result.GetValue(_modelPath), BindBroker(result));

    private static BrokerSettings BindBroker(ParseResult result)
    {
        var address = result.GetValue(_rabbitMq);
        var rabbit = address is null ? null : ParseHostPort(address);
        if (rabbit is not null)
        {
            rabbit.Username = result.GetRequiredValue(_user);
            rabbit.Password = result.GetRequiredValue(_password);
        }

        return new BrokerSettings(rabbit, result.GetRequiredValue(_queue));
    }

    private static ServiceBusOptions? BindServiceBus(ParseResult result) =>
        result.GetValue(_serviceBus) is { } connectionString
            ? new ServiceBusOptions { ConnectionString = connectionString, ReplyQueue = result.GetRequiredValue(_replyQueue) }
            : null;

    private static Option<string?> ServiceBusConnectionString(Option<string?> option)
    {
        option.Validators.Add(r =>
        {
            // The messages never repeat the value: it holds a key.
            if (r.GetValueOrDefault<string?>() is { } text
                && new ServiceBusOptions { ConnectionString = text }.Validate(option.Name) is { Count: > 0 } failures)
            {
                r.AddError(failures[0]);
            }
        });
        return option;
    }

    private static Option<string> ServiceBusEntity(Option<string> option)
    {
        option.Validators.Add(r =>
        {
            if (ServiceBusEntityNames.Check(r.GetValueOrDefault<string>() ?? "") is { } problem)
            {
                r.AddError($"{option.Name}: {problem}.");
            }
        });
        return option;
    }

    /// <summary>"host:port" or "host" (port 5672); null when malformed.</summary>
    private static RabbitMqOptions? TryParseHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        var host = colon < 0 ? text : text[..colon];
        ushort port = 5672;
        if (host.Length == 0 || (colon >= 0 && (!ushort.TryParse(text[(colon + 1)..], out port) || port == 0)))
        {
            return null;
        }

        return new RabbitMqOptions { Host = host, Port = port };
    }

    private static RabbitMqOptions ParseHostPort(string text) =>
        TryParseHostPort(text) ?? throw new ArgumentException($"--rabbitmq '{text}' is not host:port.", nameof(text));

    private static Option<string?> RabbitMqAddress(Option<string?> option)
    {
        option.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string?>();
            if (text is not null && TryParseHostPort(text) is null)
            {
                r.AddError($"--rabbitmq '{text}' is not host:port (e.g. localhost:5672; port 1-65535).");
            }
        });
        return option;
    }

    private static Option<int> Positive(Option<int> option) => InRange(option, 1, int.MaxValue);

    private static Option<T> InRange<T>(Option<T> option, double min, double max)
    {
        option.Validators.Add(r =>
        {
            if (TryGetValue(r, out T? value) && value is not null
                && Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture) is var v && (v < min || v > max))
            {
                r.AddError($"{option.Name} must be {Describe(min, max)}, got {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
            }
        });
        return option;
    }

    /// <summary>
    /// Validators run even when the token did not convert (e.g. "--max-tokens many"); System.CommandLine then
    /// reports the conversion error itself, and reading the value would throw instead.
    /// </summary>
    private static bool TryGetValue<T>(OptionResult result, out T? value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }

    private static string Describe(double min, double max) => max == int.MaxValue
        ? $"at least {min}"
        : min == double.Epsilon ? $"in (0, {max}]" : $"between {min} and {max}";

    private static Option<string> NotBlank(Option<string> option)
    {
        option.Validators.Add(r =>
        {
            if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>()))
            {
                r.AddError($"{option.Name} must not be empty.");
            }
        });
        return option;
    }
}
