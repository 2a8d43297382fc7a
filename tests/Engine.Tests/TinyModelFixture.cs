using LlmQueue.TestKit;

namespace LlmQueue.Engine.Tests;

/// <summary>The tiny synthetic model's config and tokenizer, with engines over the fake runner (no math, paging checked).</summary>
public sealed class TinyModelFixture() : EngineFixture("tiny", (model, blockSize, largePages) => new FakeRunner(model.Config, blockSize, largePages));
