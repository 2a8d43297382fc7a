using System.Text;
using LlmQueue.Models.Synthetic;
using LlmQueue.TestKit;

namespace LlmQueue.Models.Tests.Sources;

/// <summary>Repository contents for the fake Hub: a real synthetic checkpoint plus files a download must skip.</summary>
internal static class HubRepoFiles
{
    public const string Commit = "3f1c0a9e7b6d5c4b3a29180f7e6d5c4b3a291807";

    public static Dictionary<string, byte[]> Checkpoint(SyntheticModelSpec spec)
    {
        using var folder = TestCheckpoints.Write(spec);
        var files = Directory.GetFiles(folder.Path).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);
        files["tokenizer_config.json"] = Encoding.UTF8.GetBytes("""{"bos_token":"<s>"}""");
        files["README.md"] = Encoding.UTF8.GetBytes("# not part of a checkpoint");
        files["original/consolidated.00.pth"] = new byte[64];
        return files;
    }
}
