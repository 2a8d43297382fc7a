using System.Reflection;
using System.Text.Json;
using LlmQueue.Contracts;

namespace LlmQueue.Contracts.Tests;

/// <summary>docs/contracts.md is what non-.NET producers read: it must name every field and code.</summary>
public class ContractDocumentationTests
{
    private static readonly string Document = File.ReadAllText(FindDocument());

    public static TheoryData<Type> MessageTypes => new(typeof(GenerateRequest).Assembly.GetExportedTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetProperties().Length > 0));

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Every_field_is_documented_under_its_json_name(Type type)
    {
        var missing = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != "EqualityContract")
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
            .Where(name => !Document.Contains($"`{name}`", StringComparison.Ordinal))
            .ToList();

        Assert.Empty(missing);
    }

    [Theory]
    [InlineData(typeof(ErrorCodes))]
    [InlineData(typeof(FinishReasons))]
    public void Every_code_is_documented(Type constants)
    {
        var missing = constants.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (string)f.GetValue(null)!)
            .Where(code => !Document.Contains($"`{code}`", StringComparison.Ordinal))
            .ToList();

        Assert.Empty(missing);
    }

    private static string FindDocument()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", "contracts.md");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("docs/contracts.md not found above " + AppContext.BaseDirectory);
    }
}
