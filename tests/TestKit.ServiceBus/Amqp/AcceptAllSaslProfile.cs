using Amqp;
using Amqp.Sasl;
using Amqp.Types;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>
/// A server SASL mechanism that accepts any init: the SDK's MSSBCBS (claims come later over $cbs), ANONYMOUS and PLAIN.
/// The test broker authenticates nobody.
/// </summary>
internal sealed class AcceptAllSaslProfile(string mechanism) : SaslProfile(new Symbol(mechanism))
{
    protected override ITransport UpgradeTransport(ITransport transport) => transport;

    // Only clients start a SASL exchange; the listener sends the mechanisms itself.
    protected override DescribedList GetStartCommand(string hostname) => new SaslMechanisms { SaslServerMechanisms = [Mechanism] };

    protected override DescribedList OnCommand(DescribedList command) =>
        new SaslOutcome { Code = command is SaslInit ? SaslCode.Ok : SaslCode.Auth };
}
