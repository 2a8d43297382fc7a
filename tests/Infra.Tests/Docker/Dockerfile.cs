namespace LlmQueue.Infra.Tests.Docker;

/// <summary>
/// A Dockerfile read the way BuildKit's front end reads it: comment lines dropped (also inside continuations),
/// lines ending in a backslash joined, one instruction per logical line, FROM starting a stage.
/// </summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerfileInstruction> instructions, IReadOnlyList<DockerfileStage> stages)
    {
        Instructions = instructions;
        Stages = stages;
    }

    public IReadOnlyList<DockerfileInstruction> Instructions { get; }

    public IReadOnlyList<DockerfileStage> Stages { get; }

    /// <summary>The stage the image is made of (the last one).</summary>
    public DockerfileStage FinalStage => Stages[^1];

    public DockerfileStage Stage(string name) =>
        Stages.SingleOrDefault(stage => string.Equals(stage.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"No stage named '{name}'.");

    public bool IsStageName(string name) =>
        Stages.Any(stage => string.Equals(stage.Name, name, StringComparison.OrdinalIgnoreCase));

    public static Dockerfile Parse(string text)
    {
        var instructions = ReadInstructions(text);
        return new Dockerfile(instructions, SplitStages(instructions));
    }

    private static List<DockerfileInstruction> ReadInstructions(string text)
    {
        var instructions = new List<DockerfileInstruction>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var pending = new List<string>();
        var firstLine = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (pending.Count == 0)
            {
                firstLine = i + 1;
            }

            var continues = line.EndsWith('\\');
            pending.Add(continues ? line[..^1].TrimEnd() : line);
            if (!continues)
            {
                instructions.Add(ToInstruction(string.Join(' ', pending), firstLine));
                pending.Clear();
            }
        }

        if (pending.Count > 0)
        {
            throw new FormatException($"Line {firstLine}: the last instruction ends in a line continuation.");
        }

        return instructions;
    }

    private static DockerfileInstruction ToInstruction(string logicalLine, int line)
    {
        var space = logicalLine.IndexOfAny([' ', '\t']);
        return space < 0
            ? new DockerfileInstruction(logicalLine.ToUpperInvariant(), "", line)
            : new DockerfileInstruction(logicalLine[..space].ToUpperInvariant(), logicalLine[(space + 1)..].Trim(), line);
    }

    private static List<DockerfileStage> SplitStages(List<DockerfileInstruction> instructions)
    {
        var stages = new List<DockerfileStage>();
        DockerfileInstruction? from = null;
        var body = new List<DockerfileInstruction>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                if (from is not null)
                {
                    stages.Add(ToStage(from, body));
                }

                from = instruction;
                body = [];
            }
            else if (from is not null)
            {
                body.Add(instruction);
            }
            else if (instruction.Keyword != "ARG")
            {
                throw new FormatException($"Line {instruction.Line}: {instruction.Keyword} before the first FROM.");
            }
        }

        if (from is null)
        {
            throw new FormatException("No FROM instruction.");
        }

        stages.Add(ToStage(from, body));
        return stages;
    }

    private static DockerfileStage ToStage(DockerfileInstruction from, List<DockerfileInstruction> body)
    {
        var words = from.Words;
        return words.Count switch
        {
            1 => new DockerfileStage(words[0], null, from, body),
            3 when words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) => new DockerfileStage(words[0], words[2], from, body),
            _ => throw new FormatException($"Line {from.Line}: expected 'FROM image [AS name]', got 'FROM {from.Arguments}'."),
        };
    }
}
