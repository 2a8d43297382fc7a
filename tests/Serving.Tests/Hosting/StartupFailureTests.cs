using LlmQueue.Engine;
using LlmQueue.Serving.Hosting;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Tests.Hosting;

public sealed class StartupFailureTests
{
    [Fact]
    public void Configuration_errors_are_one_line_with_exit_code_2()
    {
        var (code, text) = StartupFailure.Describe(new OptionsValidationException("Transport", typeof(object), ["Transport:RabbitMq:Port must be 1-65535, got 0."]));

        Assert.Equal((ExitCodes.Configuration, "Configuration error: Transport:RabbitMq:Port must be 1-65535, got 0."), (code, text));
    }

    [Fact]
    public void Engine_configuration_errors_are_one_line_with_exit_code_2()
    {
        var (code, text) = StartupFailure.Describe(new EngineStartException(EngineStartFailure.Configuration, "Engine:Device is cuda but it cannot run here: no GPU."));

        Assert.Equal((ExitCodes.Configuration, "Configuration error: Engine:Device is cuda but it cannot run here: no GPU."), (code, text));
    }

    [Fact]
    public void Model_errors_are_one_line_with_exit_code_3()
    {
        var (code, text) = StartupFailure.Describe(new EngineStartException(EngineStartFailure.Model, "Model 'x': /models/x/config.json: file not found"));

        Assert.Equal(ExitCodes.Model, code);
        Assert.Equal("Model error: Model 'x': /models/x/config.json: file not found", text);
    }

    [Fact]
    public void Bugs_keep_their_stack_trace_and_exit_code_1()
    {
        Exception bug;
        try
        {
            throw new InvalidOperationException("oops");
        }
        catch (InvalidOperationException ex)
        {
            bug = ex;
        }

        var (code, text) = StartupFailure.Describe(bug);

        Assert.Equal(ExitCodes.Unexpected, code);
        Assert.Contains(nameof(Bugs_keep_their_stack_trace_and_exit_code_1), text, StringComparison.Ordinal);
    }
}
