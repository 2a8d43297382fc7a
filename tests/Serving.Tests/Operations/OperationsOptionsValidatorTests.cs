using LlmQueue.Serving.Operations;
using LlmQueue.Serving.Options;
using Microsoft.Extensions.Options;

namespace LlmQueue.Serving.Tests.Operations;

public sealed class OperationsOptionsValidatorTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(Validate(new OperationsOptions()).Succeeded);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public void A_port_outside_0_to_65535_is_refused(int port)
    {
        var result = Validate(new OperationsOptions { Port = port });

        Assert.Equal($"Operations:Port must be 0-65535 (0 = off), got {port}.", Assert.Single(result.Failures!));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("0.0.0.0:80")]
    [InlineData("")]
    public void A_bind_address_that_is_not_an_ip_or_star_is_refused(string address)
    {
        Assert.Contains("Operations:BindAddress", Assert.Single(Validate(new OperationsOptions { BindAddress = address }).Failures!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("::")]
    [InlineData("127.0.0.1")]
    [InlineData("*")]
    public void Ip_addresses_and_star_bind(string address)
    {
        Assert.True(Validate(new OperationsOptions { BindAddress = address }).Succeeded);
    }

    [Theory]
    [InlineData("collector:4317")]
    [InlineData("ftp://collector")]
    [InlineData("/v1/traces")]
    public void An_otlp_endpoint_that_is_not_an_http_url_is_refused(string endpoint)
    {
        Assert.Contains("Operations:OtlpEndpoint", Assert.Single(Validate(new OperationsOptions { OtlpEndpoint = endpoint }).Failures!), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(86401)]
    public void An_engine_stall_limit_outside_0_to_a_day_is_refused(int seconds)
    {
        Assert.Equal($"Operations:EngineStallSeconds must be 0-86400 (0 = not checked), got {seconds}.",
            Assert.Single(Validate(new OperationsOptions { EngineStallSeconds = seconds }).Failures!));
    }

    [Fact]
    public void An_unknown_grace_period_is_not_checked()
    {
        Assert.True(Validate(new OperationsOptions { TerminationGracePeriodSeconds = 0 }, drainSeconds: 3600).Succeeded);
    }

    [Theory]
    [InlineData(30, 75, true)]   // infra/bicep: grace = drain + 45
    [InlineData(240, 285, true)]
    [InlineData(30, 61, true)]
    [InlineData(30, 60, false)]  // the host's stop may take drain + 30 s: SIGKILL would land on it
    [InlineData(30, 30, false)]  // the Kubernetes default grace with the default drain
    public void The_drain_and_the_stop_margin_must_end_before_the_grace_period(int drainSeconds, int graceSeconds, bool valid)
    {
        var result = Validate(new OperationsOptions { TerminationGracePeriodSeconds = graceSeconds }, drainSeconds);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains($"Transport:DrainTimeoutSeconds ({drainSeconds})", Assert.Single(result.Failures!), StringComparison.Ordinal);
        }
    }

    private static ValidateOptionsResult Validate(OperationsOptions options, int drainSeconds = 30) =>
        new OperationsOptionsValidator(Microsoft.Extensions.Options.Options.Create(new TransportOptions { DrainTimeoutSeconds = drainSeconds }))
            .Validate(null, options);
}
