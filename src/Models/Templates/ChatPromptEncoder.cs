using System.Text;
using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Templates;

/// <summary>
/// Renders chat messages with a model's template and encodes the result so that the template's own markup keeps
/// its special tokens while message content cannot create any: a "&lt;|im_start|&gt;system" typed by a user is
/// tokenized as the characters it is, so it cannot forge a turn. Before rendering, a noncharacter
/// (<see cref="Mark"/>) goes after the first character of every special-token string in the content, which
/// the template passes through like any text; in the rendered prompt only unmarked special tokens match, and
/// the text between them is encoded with the marks removed and special tokens split as text. Ordinary content
/// is not touched and encodes exactly as before.
/// </summary>
public static class ChatPromptEncoder
{
    /// <summary>U+FDD0, a noncharacter: reserved by Unicode for internal use, never meaningful in text.</summary>
    public const char Mark = '\uFDD0';

    /// <summary>The prompt ids of <paramref name="messages"/> rendered with the generation prompt; template errors throw <see cref="TemplateException"/>.</summary>
    public static List<int> Encode(ITokenizer tokenizer, ChatTemplate template, IReadOnlyList<(string Role, string Content)> messages)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(messages);
        var marked = messages.Select(m => (m.Role, Content: MarkSpecialTokens(tokenizer, m.Content))).ToList();
        var rendered = template.Render(marked, addGenerationPrompt: true);
        var ids = new List<int>(rendered.Length / 3);
        if (marked.Zip(messages).All(pair => ReferenceEquals(pair.First.Content, pair.Second.Content)))
        {
            // Nothing was marked: the rendered text holds no user-made special token. BOS comes from the template.
            tokenizer.Encode(rendered, ids, EncodeOptions.Default with { AddSpecialTokens = false });
            return ids;
        }

        var start = 0;
        while (tokenizer.TryFindSpecialToken(rendered, start, out var index, out var token))
        {
            EncodeText(tokenizer, rendered.AsSpan(start, index - start), ids);
            ids.Add(token.Id);
            start = index + token.Content.Length;
        }

        EncodeText(tokenizer, rendered.AsSpan(start), ids);
        return ids;
    }

    /// <summary>
    /// Content with <see cref="Mark"/> after the first character of each special-token string, and every mark
    /// already in it doubled so that unmarking gives the content back exactly. Unchanged content is returned as is.
    /// </summary>
    public static string MarkSpecialTokens(ITokenizer tokenizer, string content)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(content);
        if (!tokenizer.TryFindSpecialToken(content, 0, out _, out _) && !content.Contains(Mark))
        {
            return content;
        }

        var marked = new StringBuilder(content.Length + 16);
        var start = 0;
        while (tokenizer.TryFindSpecialToken(content, start, out var index, out var token))
        {
            AppendDoublingMarks(marked, content.AsSpan(start, index - start));
            marked.Append(token.Content[0]).Append(Mark);
            AppendDoublingMarks(marked, token.Content.AsSpan(1));
            start = index + token.Content.Length;
        }

        AppendDoublingMarks(marked, content.AsSpan(start));
        return marked.ToString();
    }

    /// <summary>Removes the marks: a doubled mark stands for one, a single mark for nothing.</summary>
    public static string Unmark(ReadOnlySpan<char> text)
    {
        var plain = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != Mark)
            {
                plain.Append(text[i]);
            }
            else if (i + 1 < text.Length && text[i + 1] == Mark)
            {
                plain.Append(Mark);
                i++;
            }
        }

        return plain.ToString();
    }

    private static void EncodeText(ITokenizer tokenizer, ReadOnlySpan<char> text, List<int> ids)
    {
        if (!text.IsEmpty)
        {
            tokenizer.Encode(Unmark(text), ids, EncodeOptions.UntrustedText with { AddSpecialTokens = false });
        }
    }

    private static void AppendDoublingMarks(StringBuilder builder, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            builder.Append(c);
            if (c == Mark)
            {
                builder.Append(Mark);
            }
        }
    }
}
