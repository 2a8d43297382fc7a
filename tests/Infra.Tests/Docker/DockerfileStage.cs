namespace LlmQueue.Infra.Tests.Docker;

/// <summary>A build stage: its FROM image (or earlier stage), optional name, and its instructions after FROM.</summary>
internal sealed record DockerfileStage(string Image, string? Name, DockerfileInstruction From, IReadOnlyList<DockerfileInstruction> Instructions)
{
    public IEnumerable<DockerfileInstruction> All(string keyword) =>
        Instructions.Where(instruction => instruction.Keyword == keyword);
}
