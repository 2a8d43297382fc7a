using LlmQueue.Models.Synthetic;

namespace LlmQueue.TestKit;

public static class TestCheckpoints
{
    public const string TokenizerJson = """{"version":"1.0","model":{"type":"BPE","vocab":{},"merges":[]}}""";

    public static TempDirectory Write(SyntheticModelSpec spec)
    {
        var folder = new TempDirectory();
        SyntheticCheckpoint.Write(folder.Path, spec, TokenizerJson);
        return folder;
    }
}
