namespace LlmQueue.Models.Weights;

/// <summary>A checkpoint file (config.json, *.safetensors, index) is missing, malformed or inconsistent.
/// The message always names the file and the problem.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException()
    {
    }

    public ModelLoadException(string message)
        : base(message)
    {
    }

    public ModelLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static ModelLoadException For(string file, string problem, Exception? inner = null) =>
        inner is null ? new($"{file}: {problem}") : new($"{file}: {problem}", inner);
}
