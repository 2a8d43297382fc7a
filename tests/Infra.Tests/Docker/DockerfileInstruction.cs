using System.Text;
using System.Text.Json;

namespace LlmQueue.Infra.Tests.Docker;

/// <summary>One Dockerfile instruction, continuation lines joined, with its first line number.</summary>
internal sealed record DockerfileInstruction(string Keyword, string Arguments, int Line)
{
    /// <summary>Exec (JSON array) form, as ENTRYPOINT ["a", "b"].</summary>
    public bool IsExecForm => Arguments.TrimStart().StartsWith('[');

    /// <summary>The elements of an exec-form instruction.</summary>
    public IReadOnlyList<string> ExecArguments =>
        JsonSerializer.Deserialize<string[]>(Arguments)
        ?? throw new FormatException($"Line {Line}: {Keyword} is not a JSON array of strings.");

    /// <summary>Shell-form words (quotes removed), without the leading --flag=value options.</summary>
    public IReadOnlyList<string> Words => Tokens.SkipWhile(IsFlag).ToArray();

    /// <summary>The leading --name=value options (COPY --from, FROM --platform), by name.</summary>
    public IReadOnlyDictionary<string, string> Flags =>
        Tokens.TakeWhile(IsFlag)
            .Select(flag => flag[2..].Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length == 2 ? pair[1] : "", StringComparer.Ordinal);

    /// <summary>The variables an ENV instruction sets (key=value pairs, or the legacy 'ENV key value').</summary>
    public IReadOnlyDictionary<string, string> Variables
    {
        get
        {
            var words = Split(Arguments);
            if (words.Count > 0 && !words[0].Contains('=', StringComparison.Ordinal))
            {
                return new Dictionary<string, string>(StringComparer.Ordinal) { [words[0]] = string.Join(' ', words.Skip(1)) };
            }

            return words.Select(word => word.Split('=', 2))
                .ToDictionary(pair => pair[0], pair => pair.Length == 2 ? pair[1] : "", StringComparer.Ordinal);
        }
    }

    private IReadOnlyList<string> Tokens => IsExecForm ? ExecArguments : Split(Arguments);

    private static bool IsFlag(string token) => token.StartsWith("--", StringComparison.Ordinal);

    /// <summary>Whitespace-separated words; single or double quotes group and are removed.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        foreach (var c in text)
        {
            if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
