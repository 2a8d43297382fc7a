namespace LlmQueue.Models.Templates;

/// <summary>A chat template that cannot be parsed or rendered (including the template's own raise_exception).</summary>
public sealed class TemplateException : Exception
{
    public TemplateException(string message)
        : base(message)
    {
    }

    public TemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TemplateException()
    {
    }

    /// <summary>Builds "source:line:column: message" from an offset into the template text.</summary>
    internal static TemplateException At(TemplateSource source, int offset, string message)
    {
        var (line, column) = source.LineAndColumn(offset);
        return new TemplateException($"{source.Name}:{line}:{column}: {message}");
    }
}
