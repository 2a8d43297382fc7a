namespace LlmQueue.Models.Templates;

/// <summary>Template text plus the name (file and field) that error messages cite.</summary>
internal sealed record TemplateSource(string Name, string Text)
{
    public (int Line, int Column) LineAndColumn(int offset)
    {
        offset = Math.Clamp(offset, 0, Text.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (Text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }
}
