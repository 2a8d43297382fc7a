using System.Text.Json.Nodes;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>
/// One environment (a main.&lt;name&gt;.bicepparam) as Bicep compiled it: the parameter values build-params wrote, and
/// the snapshot, the resources and outputs Bicep predicts for a deployment of it with every value known before
/// deployment filled in (the rest stays an "[expression]").
/// </summary>
internal sealed class CompiledEnvironment(string name, JsonObject parameters, JsonObject snapshot, string snapshotText)
{
    public string Name { get; } = name;

    /// <summary>The snapshot as Bicep wrote it, to search for values that must not be there.</summary>
    public string SnapshotText { get; } = snapshotText;

    public JsonObject Outputs => snapshot["outputs"]!.AsObject();

    /// <summary>A parameter's value from the .bicepparam (null when the file leaves it to the template's default).</summary>
    public JsonNode? Parameter(string name) => parameters["parameters"]?[name]?["value"];

    /// <summary>Every resource the deployment would create or update.</summary>
    public IReadOnlyList<JsonObject> AllResources =>
        snapshot["predictedResources"]!.AsArray().Select(resource => resource!.AsObject()).ToArray();

    public IReadOnlyList<JsonObject> Resources(string type) =>
        AllResources.Where(resource => string.Equals((string?)resource["type"], type, StringComparison.OrdinalIgnoreCase)).ToArray();

    public JsonObject Resource(string type) => Assert.Single(Resources(type));

    /// <summary>The resource of the type whose name ends with /<paramref name="name"/> (or is it).</summary>
    public JsonObject Resource(string type, string name) =>
        Assert.Single(
            Resources(type),
            resource => ((string)resource["name"]!).Split('/')[^1] == name);
}
