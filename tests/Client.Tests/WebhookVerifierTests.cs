using System.Text;
using LlmQueue.Transport;
using Microsoft.Extensions.Time.Testing;

namespace LlmQueue.Client.Tests;

public sealed class WebhookVerifierTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string OtherSecret = "whsec_c2Vjb25kIHNlY3JldCBmb3Igcm90YXRpb24=";
    private static readonly byte[] s_body = Encoding.UTF8.GetBytes("""{"test": 2432232314}""");

    [Fact]
    public void The_published_test_vector_verifies_at_its_time()
    {
        var verifier = new WebhookVerifier([Secret], time: At(1614265330));

        verifier.Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", s_body);
    }

    [Fact]
    public void A_tampered_body_fails()
    {
        var verifier = new WebhookVerifier([Secret], time: At(1614265330));
        var tampered = Encoding.UTF8.GetBytes("""{"test": 2432232315}""");

        Assert.Throws<WebhookVerificationException>(() => verifier.Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", tampered));
    }

    [Fact]
    public void A_stale_timestamp_fails_even_with_a_valid_signature()
    {
        var verifier = new WebhookVerifier([Secret], time: At(1614265330 + 301));

        var error = Assert.Throws<WebhookVerificationException>(() =>
            verifier.Verify("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", s_body));
        Assert.Contains("301", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void During_a_rotation_either_secret_verifies_and_a_foreign_one_does_not()
    {
        const long now = 1_700_000_000;
        var signedWithNew = WebhookSignature.Sign(WebhookSignature.ParseSecret(OtherSecret)!, "msg_1", now, s_body);

        new WebhookVerifier([Secret, OtherSecret], time: At(now)).Verify("msg_1", "1700000000", $"v1,bogus {signedWithNew}", s_body);
        Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier([Secret], time: At(now)).Verify("msg_1", "1700000000", signedWithNew, s_body));
    }

    [Fact]
    public void Missing_headers_fail()
    {
        Assert.Throws<WebhookVerificationException>(() => new WebhookVerifier([Secret]).Verify("msg_1", null, "v1,x", s_body));
    }

    private static FakeTimeProvider At(long unixSeconds) => new(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));
}
