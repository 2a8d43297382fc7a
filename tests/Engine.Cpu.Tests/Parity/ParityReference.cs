using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmQueue.Engine.Cpu.Tests.Parity;

/// <summary>
/// reference.json of a parity fixture (tools/parity/make_fixtures.py): the token sequence, the reference
/// implementation's logits for every position, and its greedy continuation.
/// </summary>
public sealed record ParityReference(
    [property: JsonPropertyName("tokens")] int[] Tokens,
    [property: JsonPropertyName("logits")] double[][] Logits,
    [property: JsonPropertyName("greedy")] int[] Greedy)
{
    public const string FileName = "reference.json";

    public static ParityReference Read(string folder) =>
        JsonSerializer.Deserialize<ParityReference>(File.ReadAllText(Path.Combine(folder, FileName)))
        ?? throw new InvalidDataException($"{Path.Combine(folder, FileName)} is empty.");

    public void Write(string folder) => File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this));
}
