using LlmQueue.Models;
using LlmQueue.Models.Synthetic;

namespace LlmQueue.TestKit;

/// <summary>A synthetic checkpoint written to a temporary folder and loaded; disposing unloads and deletes it.</summary>
public sealed class Checkpoint : IDisposable
{
    private readonly TempDirectory _folder;

    private Checkpoint(TempDirectory folder, LlamaModel model)
    {
        _folder = folder;
        Model = model;
    }

    public LlamaModel Model { get; }

    public static Checkpoint Write(SyntheticModelSpec spec)
    {
        var folder = TestCheckpoints.Write(spec);
        try
        {
            return new Checkpoint(folder, LlamaModel.Load(folder.Path));
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Model.Dispose();
        _folder.Dispose();
    }
}
