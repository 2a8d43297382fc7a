using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Reference;

/// <summary>C# twin of embedding.cu.</summary>
internal static class EmbeddingReference
{
    public static void EmbedTokens(KernelInputs inputs, LaunchDims dims)
    {
        int tokens = inputs.I32("tokens");
        int width = inputs.I32("width");
        float scale = inputs.F32("scale");
        for (int t = 0; t < Math.Min(dims.GridX, tokens); t++)
        {
            int id = inputs.Buffer<int>("ids", t, 1)[0];
            var row = inputs.Buffer<ushort>("table", (long)id * width, width);
            var output = inputs.Buffer<float>("hidden", (long)t * width, width);
            for (int i = 0; i < width; i++)
            {
                output[i] = Float16Bits.Bf16ToSingle(row[i]) * scale;
            }
        }
    }
}
