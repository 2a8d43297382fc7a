using LlmQueue.Engine;
using LlmQueue.Serving.Hosting;
using LlmQueue.Serving.Options;
using LlmQueue.Transport.RabbitMq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using LlmQueue.TestKit.Serving;

namespace LlmQueue.Serving.Tests;

// Not in parallel with other classes: one test sets a process-wide environment variable.
[Collection(nameof(OptionsValidationTests))]
[CollectionDefinition(nameof(OptionsValidationTests), DisableParallelization = true)]
public sealed class OptionsValidationTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(new TransportOptionsValidator().Validate(null, new TransportOptions()).Succeeded);
        Assert.True(new EngineOptionsValidator().Validate(null, new EngineOptions()).Succeeded);
    }

    [Theory]
    [InlineData(0, "Transport:RabbitMq:Port must be 1-65535, got 0.")]
    [InlineData(70000, "Transport:RabbitMq:Port must be 1-65535, got 70000.")]
    public void RabbitMq_port_out_of_range_is_named(int port, string expected)
    {
        Assert.Contains(expected, new RabbitMqOptions { Port = port }.Validate("Transport:RabbitMq"));
    }

    [Fact]
    public void Every_bad_transport_field_is_reported()
    {
        var options = new TransportOptions { RequestQueue = " ", DrainTimeoutSeconds = -1, RetryLimit = -2, MaxBodyBytes = 10 };

        var failures = new TransportOptionsValidator().Validate(null, options).Failures!;

        Assert.Contains("Transport:RequestQueue must not be empty.", failures);
        Assert.Contains("Transport:MaxBodyBytes must be 1024-268435456, got 10.", failures);
        Assert.Contains("Transport:DrainTimeoutSeconds must be 0-3600, got -1.", failures);
        Assert.Contains("Transport:RetryLimit must be 0-100, got -2.", failures);
    }

    [Fact]
    public void Bad_engine_fields_are_named()
    {
        var options = new EngineOptions { MaxRunningRequests = 0, Threads = -1, ModelPath = "/no/such/folder" };

        var failures = new EngineOptionsValidator().Validate(null, options).Failures!;

        Assert.Contains("Engine:MaxRunningRequests must be > 0, got 0.", failures);
        Assert.Contains("Engine:Threads must be >= 0 (0 = all cores), got -1.", failures);
        Assert.Contains("Engine:ModelPath '/no/such/folder' is not an existing folder.", failures);
    }

    [Fact]
    public void A_hub_model_id_is_not_mistaken_for_a_missing_folder()
    {
        var options = new EngineOptions { ModelPath = "meta-llama/Llama-3.2-1B" };

        var result = new EngineOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public async Task Host_refuses_to_start_with_an_invalid_setting_from_the_command_line()
    {
        var builder = WorkerHost.CreateBuilder(["--Transport:Kind=RabbitMq", "--Transport:RabbitMq:Port=0"]);
        builder.Services.AddSingleton<IGenerationEngine>(new ScriptedEngine());

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });

        Assert.Contains("Transport:RabbitMq:Port must be 1-65535, got 0", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Kafka")]
    [InlineData("7")]
    public void An_unknown_transport_kind_is_one_configuration_line_naming_the_kinds(string kind)
    {
        var error = Assert.Throws<OptionsValidationException>(() => WorkerHost.CreateBuilder([$"--Transport:Kind={kind}"]));

        Assert.Equal(
            (ExitCodes.Configuration, $"Configuration error: Transport:Kind must be one of InMemory, RabbitMq, ServiceBus, got '{kind}'."),
            StartupFailure.Describe(error));
    }

    [Fact]
    public void A_transport_kind_in_any_case_is_accepted()
    {
        using var host = WorkerHost.CreateBuilder(["--Transport:Kind=rabbitmq"]).Build();

        Assert.Equal(TransportKind.RabbitMq, host.Services.GetRequiredService<IOptions<TransportOptions>>().Value.Kind);
    }

    [Fact]
    public async Task A_value_that_is_not_of_its_settings_type_stops_the_host_with_one_configuration_line()
    {
        var builder = WorkerHost.CreateBuilder(["--Transport:RetryLimit=abc"]);
        builder.Services.AddSingleton<IGenerationEngine>(new ScriptedEngine());

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var host = builder.Build();
            await host.StartAsync();
        });

        var (code, text) = StartupFailure.Describe(error);
        Assert.Equal(ExitCodes.Configuration, code);
        // The binder's own words: they name the value, the key and the type, on one line.
        Assert.StartsWith("Configuration error: ", text, StringComparison.Ordinal);
        Assert.Contains("'abc' at 'Transport:RetryLimit'", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);
    }

    [Fact]
    public void Environment_variables_with_the_prefix_override_settings()
    {
        Environment.SetEnvironmentVariable("LLMQ_Transport__RequestQueue", "from-env");
        try
        {
            using var host = WorkerHost.CreateBuilder([]).Build();

            Assert.Equal("from-env", host.Services.GetRequiredService<IOptions<TransportOptions>>().Value.RequestQueue);
        }
        finally
        {
            Environment.SetEnvironmentVariable("LLMQ_Transport__RequestQueue", null);
        }
    }
}
