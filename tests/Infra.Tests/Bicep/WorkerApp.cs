using System.Text.Json.Nodes;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>The worker container app of one compiled environment, read the way the platform will read it.</summary>
internal sealed class WorkerApp(CompiledEnvironment environment)
{
    public JsonObject Resource { get; } = environment.Resource(ResourceTypes.ContainerApp);

    public JsonObject Properties => Resource["properties"]!.AsObject();

    public JsonObject Template => Properties["template"]!.AsObject();

    public JsonObject Container => Assert.Single(Template["containers"]!.AsArray())!.AsObject();

    /// <summary>Resource ids of the app's user-assigned identities.</summary>
    public IReadOnlyList<string> IdentityIds =>
        Resource["identity"]!["userAssignedIdentities"]!.AsObject().Select(identity => identity.Key).ToArray();

    /// <summary>configuration.secrets (those added under a condition are not listed).</summary>
    public IReadOnlyList<JsonObject> Secrets =>
        ArmExpression.KnownElements(Properties["configuration"]!["secrets"]).Select(secret => secret.AsObject()).ToArray();

    /// <summary>The container's environment variables by name (those added under a condition are not listed).</summary>
    public IReadOnlyDictionary<string, JsonObject> Settings =>
        ArmExpression.KnownElements(Container["env"])
            .Select(setting => setting.AsObject())
            .ToDictionary(setting => (string)setting["name"]!, StringComparer.Ordinal);

    /// <summary>A plain (not secret) setting's value.</summary>
    public string Setting(string name)
    {
        Assert.True(Settings.TryGetValue(name, out var setting), $"The worker has no {name} setting.");
        Assert.Null(setting["secretRef"]);
        return (string)setting["value"]!;
    }

    /// <summary>The resource id a "[reference('id', ...).x]"-style expression reads from.</summary>
    public static string ReferencedResourceId(JsonNode? value)
    {
        var text = (string?)value ?? throw new FormatException("No value.");
        var call = ArmExpression.Parse(text).Calls()
            .First(call => call.Function is "reference" or "listKeys" && call.Arguments.Count > 0 && call.Arguments[0] is ArmLiteral);
        return ((ArmLiteral)call.Arguments[0]).Value.GetValue<string>();
    }
}
