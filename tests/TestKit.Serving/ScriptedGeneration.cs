using System.Threading.Channels;
using LlmQueue.Engine;

namespace LlmQueue.TestKit.Serving;

/// <summary>One submitted request of <see cref="ScriptedEngine"/>, driven by the test.</summary>
public sealed class ScriptedGeneration
{
    private readonly Channel<GenerationDelta> _deltas = Channel.CreateUnbounded<GenerationDelta>();
    private readonly TaskCompletionSource<GenerationResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<int> _tokens = [];
    private string _text = "";

    private readonly Action<ScriptedGeneration> _finished;

    public ScriptedGeneration(GenerationRequest request, Action<ScriptedGeneration> finished)
    {
        Request = request;
        _finished = finished;
        Handle = new GenerationHandle(request.RequestId, _deltas.Reader, _completion.Task);
    }

    public GenerationRequest Request { get; }

    public GenerationHandle Handle { get; }

    public void Emit(string text)
    {
        lock (_tokens)
        {
            var token = _tokens.Count + 1;
            _tokens.Add(token);
            _text += text;
            _deltas.Writer.TryWrite(new GenerationDelta([token], text));
        }
    }

    public bool Finish(FinishReason reason)
    {
        bool finished;
        lock (_tokens)
        {
            _deltas.Writer.TryComplete();
            finished = _completion.TrySetResult(new GenerationResult
            {
                FinishReason = reason,
                Text = _text,
                TokenIds = [.. _tokens],
                PromptTokens = 3,
                CompletionTokens = _tokens.Count,
                ErrorMessage = reason is FinishReason.Error or FinishReason.InvalidOutput ? "scripted failure" : null,
            });
        }

        if (finished)
        {
            _finished(this);
        }

        return finished;
    }
}
