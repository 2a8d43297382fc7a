using LlmQueue.Models.Weights;

namespace LlmQueue.Models;

/// <summary>Looks tensors up by name and checks their shapes; every failure names the tensor and its file.</summary>
internal readonly struct TensorBinder(WeightStore store, bool normAddsOne)
{
    public TensorView Matrix(string name, int rows, int cols) => ExpectShape(store.Get(name), rows, cols);

    public float[] Vector(string name, int length) => ExpectShape(store.Get(name), length).ToSingleArray();

    public float[]? OptionalVector(string name, int length, bool required) => required ? Vector(name, length) : null;

    /// <summary>An RMSNorm weight as the gain it applies: w, or (1 + w) in f32 for Gemma, as transformers computes it.</summary>
    public float[] NormGain(string name, int length)
    {
        var gain = Vector(name, length);
        if (normAddsOne)
        {
            for (int i = 0; i < gain.Length; i++)
            {
                gain[i] += 1f;
            }
        }

        return gain;
    }

    public float[]? OptionalNormGain(string name, int length, bool required) => required ? NormGain(name, length) : null;

    private static TensorView ExpectShape(TensorView view, params int[] expected) =>
        view.Shape.SequenceEqual(expected)
            ? view
            : throw ModelLoadException.For(view.SourceFile, $"tensor '{view.Name}' has shape {view.ShapeText}, expected [{string.Join(", ", expected)}].");
}
