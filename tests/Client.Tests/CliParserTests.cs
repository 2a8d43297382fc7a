using System.CommandLine;
using LlmQueue.Cli;

namespace LlmQueue.Client.Tests;

public class CliParserTests
{
    private static readonly RootCommand _root = CliParser.Build((_, _) => Task.FromResult(0), (_, _) => Task.FromResult(0));

    [Fact]
    public void Generate_binds_every_option()
    {
        var result = _root.Parse(["generate", "hello world", "--max-tokens", "12", "--temperature", "0.5", "--top-p", "0.9",
            "--top-k", "40", "--seed", "7", "--stream", "--rabbitmq", "mq.local:5673", "--user", "u", "--password", "p", "--queue", "q1"]);

        Assert.Empty(result.Errors);
        var settings = CliParser.BindGenerate(result);
        Assert.Equal("hello world", settings.Prompt);
        Assert.Equal(12, settings.Sampling.MaxTokens);
        Assert.Equal(0.5, settings.Sampling.Temperature);
        Assert.Equal(0.9, settings.Sampling.TopP);
        Assert.Equal(40, settings.Sampling.TopK);
        Assert.Equal(7, settings.Sampling.Seed);
        Assert.True(settings.Stream);
        Assert.Equal("q1", settings.Broker.Queue);
        var rabbit = Assert.IsType<LlmQueue.Transport.RabbitMq.RabbitMqOptions>(settings.Broker.RabbitMq);
        Assert.Equal(("mq.local", (ushort)5673, "u", "p"), (rabbit.Host, rabbit.Port, rabbit.Username, rabbit.Password));
    }

    [Fact]
    public void Generate_without_rabbitmq_runs_embedded_and_leaves_sampling_to_the_worker()
    {
        var settings = CliParser.BindGenerate(_root.Parse(["generate", "hi"]));

        Assert.Null(settings.Broker.RabbitMq);
        Assert.Null(settings.Sampling.Temperature);
        Assert.False(settings.Stream);
        Assert.Equal(new InferenceClientOptions().RequestQueue, settings.Broker.Queue);
    }

    [Fact]
    public void Rabbitmq_host_without_port_uses_5672()
    {
        var settings = CliParser.BindDemo(_root.Parse(["demo", "--rabbitmq", "broker"]));

        Assert.Equal((ushort)5672, settings.Broker.RabbitMq?.Port);
    }

    [Fact]
    public void Demo_binds_its_options()
    {
        var result = _root.Parse(["demo", "--requests", "3", "--max-tokens", "20", "--model-path", "/models/llama"]);

        Assert.Empty(result.Errors);
        Assert.Equal(new DemoSettings(3, 20, "/models/llama", new BrokerSettings(null, "llmq-generate")), CliParser.BindDemo(result));
    }

    [Theory]
    [InlineData("--top-p", "1.5", "--top-p")]
    [InlineData("--top-p", "0", "--top-p")]
    [InlineData("--temperature", "-1", "--temperature")]
    [InlineData("--max-tokens", "0", "--max-tokens")]
    [InlineData("--top-k", "-3", "--top-k")]
    [InlineData("--rabbitmq", "host:notaport", "--rabbitmq")]
    [InlineData("--rabbitmq", ":5672", "--rabbitmq")]
    [InlineData("--queue", " ", "--queue")]
    [InlineData("--max-tokens", "many", "many")]
    public void Invalid_generate_options_give_an_error_naming_the_option(string option, string value, string expected)
    {
        var result = _root.Parse(["generate", "hi", option, value]);

        Assert.Contains(result.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Demo_rejects_zero_requests()
    {
        var error = Assert.Single(_root.Parse(["demo", "--requests", "0"]).Errors);

        Assert.Contains("--requests", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_requires_a_prompt()
    {
        Assert.NotEmpty(_root.Parse(["generate"]).Errors);
    }
}
