using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Synthetic;

/// <summary>
/// A complete synthetic Hugging Face model folder (checkpoint + matching tokenizer.json), written once
/// into a cache folder and reused. Writes go to a scratch folder renamed into place, so concurrent
/// processes never read a half-written model.
/// </summary>
public static class SyntheticModel
{
    /// <summary>Returns the folder holding <paramref name="spec"/>, writing it under <paramref name="cacheDirectory"/> if needed.</summary>
    public static string EnsureWritten(string cacheDirectory, SyntheticModelSpec spec, string name)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var complete = spec with
        {
            BosTokenId = SyntheticTokenizer.BosTokenId(spec.VocabSize),
            EosTokenId = SyntheticTokenizer.EosTokenId(spec.VocabSize),
        };
        var folder = Path.Combine(cacheDirectory, $"synthetic-{name}-{Fingerprint(complete)}");
        if (Directory.Exists(folder))
        {
            return folder;
        }

        var scratch = folder + ".tmp-" + Guid.NewGuid().ToString("N");
        SyntheticCheckpoint.Write(scratch, complete, SyntheticTokenizer.BuildJson(spec.VocabSize));
        File.WriteAllText(Path.Combine(scratch, "tokenizer_config.json"), TokenizerConfigJson());
        try
        {
            Directory.Move(scratch, folder);
        }
        catch (IOException) when (Directory.Exists(folder))
        {
            // Another process finished the same model first; theirs is identical.
            Directory.Delete(scratch, recursive: true);
        }

        return folder;
    }

    /// <summary>Special tokens and a small role-tagged chat template, so chat requests work on synthetic models too.</summary>
    private static string TokenizerConfigJson() => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["bos_token"] = SyntheticTokenizer.BosToken,
        ["eos_token"] = SyntheticTokenizer.EosToken,
        ["chat_template"] = "{{ bos_token }}{% for message in messages %}<{{ message['role'] }}>\n{{ message['content'] | trim }}\n"
            + "{% endfor %}{% if add_generation_prompt %}<assistant>\n{% endif %}",
    });

    /// <summary>Changes whenever the spec or the generator's output could change.</summary>
    private static string Fingerprint(SyntheticModelSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("v3|" + spec)))[..12];
}
