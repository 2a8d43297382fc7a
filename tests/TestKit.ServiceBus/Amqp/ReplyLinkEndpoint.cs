using Amqp;
using Amqp.Listener;

namespace LlmQueue.TestKit.ServiceBus.Amqp;

/// <summary>The client's response link of a request-response pair: responses wait here for link credit.</summary>
internal sealed class ReplyLinkEndpoint(ListenerLink link, SessionWindowGuard windows) : LinkEndpoint
{
    private readonly object _sync = new();
    private readonly Queue<Message> _waiting = new();
    private int _credit;

    public void Send(Message response)
    {
        lock (_sync)
        {
            _waiting.Enqueue(response);
            Flush();
        }
    }

    public override void OnFlow(FlowContext flowContext)
    {
        lock (_sync)
        {
            // Mirrors ListenerLink's own credit arithmetic: a non-positive delta means the peer reset its credit.
            _credit = flowContext.Messages > 0 ? _credit + flowContext.Messages : 0;
            try
            {
                Flush();
            }
#pragma warning disable CA1031 // A response link torn down mid-flush just loses its responses; never throw into the listener.
            catch (Exception)
#pragma warning restore CA1031
            {
                _waiting.Clear();
            }
        }
    }

    public override void OnDisposition(DispositionContext dispositionContext)
    {
        // Responses are sent settled; nothing to track.
    }

    private void Flush()
    {
        while (_credit > 0 && _waiting.Count > 0)
        {
            _credit--;
            link.SendMessage(_waiting.Dequeue());
            windows.AfterSend(link);
        }
    }
}
