namespace LlmQueue.Models.Sources;

/// <summary>A model could not be resolved to a local folder: missing folder or files, Hub access denied,
/// model or revision not found, network failure without a cached snapshot, or a download that kept failing
/// verification. The message names the model, file or endpoint and the problem.</summary>
public sealed class ModelSourceException : Exception
{
    public ModelSourceException()
    {
    }

    public ModelSourceException(string message)
        : base(message)
    {
    }

    public ModelSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
