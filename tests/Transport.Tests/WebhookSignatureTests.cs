using System.Text;

namespace LlmQueue.Transport.Tests;

public sealed class WebhookSignatureTests
{
    [Fact]
    public void The_standard_webhooks_published_test_vector_signs_as_published()
    {
        var key = WebhookSignature.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!;

        var signature = WebhookSignature.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Encoding.UTF8.GetBytes("""{"test": 2432232314}"""));

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Theory]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64!")]
    public void Secrets_that_are_not_whsec_base64_are_refused(string secret)
    {
        Assert.Null(WebhookSignature.ParseSecret(secret));
    }
}
