namespace LlmQueue.Models.Synthetic;

/// <summary>Name, shape and normal(Mean, Std) initialisation of one synthetic tensor.</summary>
internal sealed record TensorInit(string Name, int[] Shape, float Mean, float Std)
{
    public static TensorInit Norm(string name, int size, float mean) => new(name, [size], mean, 0.1f);

    public static TensorInit Bias(string name, int size) => new(name, [size], 0f, 0.3f);

    public static TensorInit Projection(string name, int outFeatures, int inFeatures) =>
        new(name, [outFeatures, inFeatures], 0f, 1f / MathF.Sqrt(inFeatures));
}
