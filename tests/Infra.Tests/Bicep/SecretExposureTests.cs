using System.Text.Json.Nodes;

namespace LlmQueue.Infra.Tests.Bicep;

/// <summary>Secrets stay in Key Vault: not in outputs, not in any resource definition, and no admin keys around.</summary>
public sealed class SecretExposureTests
{
    public static TheoryData<string> Environments => BicepWorkspace.EnvironmentNames();

    [Fact]
    public async Task No_template_output_is_or_derives_from_a_secret()
    {
        var workspace = await BicepWorkspace.SharedAsync();
        var templates = Templates(workspace.MainTemplate).ToArray();
        Assert.True(templates.Length > 1, "The compiled template has no modules.");
        foreach (var template in templates)
        {
            var secureParameters = (template["parameters"]?.AsObject() ?? [])
                .Where(parameter => ((string?)parameter.Value!["type"])?.StartsWith("secure", StringComparison.OrdinalIgnoreCase) == true)
                .Select(parameter => parameter.Key)
                .ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, output) in template["outputs"]?.AsObject() ?? [])
            {
                Assert.False(((string)output!["type"]!).StartsWith("secure", StringComparison.OrdinalIgnoreCase), $"Output {name} is secure-typed.");
                if (output["value"] is JsonValue value && value.TryGetValue<string>(out var text) && ArmExpression.IsExpression(text))
                {
                    var expression = ArmExpression.Parse(text);
                    Assert.False(
                        expression.Calls().Any(call => call.Function.StartsWith("list", StringComparison.OrdinalIgnoreCase)),
                        $"Output {name} reads keys: {text}");
                    Assert.False(ReadsSecureValue(expression, secureParameters), $"Output {name} derives from a secure parameter: {text}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task No_secret_value_appears_outside_key_vault(string name)
    {
        var (workspace, environment) = await BicepWorkspace.EnvironmentAsync(name);
        var outside = environment.Outputs.ToJsonString() + string.Concat(
            environment.Resources(ResourceTypes.ContainerApp)
                .Concat(environment.Resources(ResourceTypes.ManagedEnvironment))
                .Concat(environment.Resources(ResourceTypes.RedisDatabase))
                .Concat(environment.Resources(ResourceTypes.ServiceBusNamespace))
                .Select(resource => resource.ToJsonString()));
        Assert.All(workspace.Secrets, secret => Assert.DoesNotContain(secret.Value, outside, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_vault_authorizes_by_rbac_and_the_registry_has_no_admin_user(string name)
    {
        var (_, environment) = await BicepWorkspace.EnvironmentAsync(name);
        var vault = environment.Resource(ResourceTypes.KeyVault)["properties"]!;
        Assert.True((bool)vault["enableRbacAuthorization"]!);
        Assert.Empty(vault["accessPolicies"]?.AsArray() ?? []);
        Assert.False((bool)environment.Resource(ResourceTypes.Registry)["properties"]!["adminUserEnabled"]!);
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task The_redis_connection_string_is_written_to_key_vault_and_uses_tls(string name)
    {
        var (_, environment) = await BicepWorkspace.EnvironmentAsync(name);
        var app = new WorkerApp(environment);
        var secretName = (string)app.Settings["LLMQ_RedisTier__ConnectionString"]["secretRef"]!;
        var reference = Assert.Single(app.Secrets, secret => (string?)secret["name"] == secretName);
        var vaultSecretId = WorkerApp.ReferencedResourceId(reference["keyVaultUrl"]);
        var vaultSecret = Assert.Single(environment.Resources(ResourceTypes.KeyVaultSecret), secret => (string?)secret["id"] == vaultSecretId);

        var database = environment.Resource(ResourceTypes.RedisDatabase);
        Assert.Equal("Encrypted", (string)database["properties"]!["clientProtocol"]!);
        var value = ArmExpression.Parse((string)vaultSecret["properties"]!["value"]!);
        Assert.Contains(value.Calls(), call => call.Function == "listKeys" && call.Arguments[0] is ArmLiteral id && id.Value.GetValue<string>() == (string)database["id"]!);
        Assert.Contains(value.DescendantsAndSelf().OfType<ArmLiteral>(), literal => literal.Value.ToString().Contains("ssl=True", StringComparison.Ordinal));
    }

    /// <summary>
    /// Whether the expression uses a secure parameter's value. Only testing it for emptiness is allowed: an optional
    /// secret decides whether a resource exists, which reveals nothing of the secret.
    /// </summary>
    private static bool ReadsSecureValue(ArmNode expression, HashSet<string> secureParameters)
    {
        bool IsSecure(ArmNode node) =>
            node is ArmCall { Function: "parameters", Arguments: [ArmLiteral parameter] }
            && secureParameters.Contains(parameter.Value.GetValue<string>());

        return IsSecure(expression)
            || expression.DescendantsAndSelf().Any(node => node switch
            {
                ArmCall call => call.Function != "empty" && call.Arguments.Any(IsSecure),
                ArmProperty property => IsSecure(property.Target),
                ArmIndex index => IsSecure(index.Target) || IsSecure(index.Index),
                _ => false,
            });
    }

    /// <summary>The template and, recursively, the templates of its nested deployments (the compiled modules).</summary>
    private static IEnumerable<JsonObject> Templates(JsonObject template)
    {
        yield return template;
        var resources = template["resources"] switch
        {
            JsonArray array => array.Select(resource => resource!),
            JsonObject map => map.Select(pair => pair.Value!),
            _ => [],
        };
        foreach (var deployment in resources.Where(resource => (string?)resource["type"] == ResourceTypes.Deployment))
        {
            foreach (var nested in Templates(deployment["properties"]!["template"]!.AsObject()))
            {
                yield return nested;
            }
        }
    }
}
