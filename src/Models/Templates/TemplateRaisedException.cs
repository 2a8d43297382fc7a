namespace LlmQueue.Models.Templates;

/// <summary>Thrown by the template's raise_exception(); the evaluator turns it into a positioned TemplateException.</summary>
internal sealed class TemplateRaisedException(string message) : Exception(message);
