namespace LlmQueue.Gpu.Reference;

/// <summary>C# twins of activation.cu, in the kernels' order of f32 operations.</summary>
internal static class ActivationReference
{
    public static void GatedActivation(KernelInputs inputs)
    {
        int tokens = inputs.I32("tokens");
        int inter = inputs.I32("inter");
        bool gelu = inputs.I32("gelu") != 0;
        for (int t = 0; t < tokens; t++)
        {
            var gateUp = inputs.Buffer<float>("gate_up", (long)t * 2 * inter, 2L * inter);
            var output = inputs.Buffer<ushort>("out", (long)t * inter, inter);
            for (int c = 0; c < inter; c++)
            {
                float g = gateUp[c];
                float u = gateUp[inter + c];
                float y;
                if (gelu)
                {
                    float inner = g * g * g;
                    inner = (inner * 0.044715f) + g;
                    inner = MathF.Tanh(inner * 0.7978845608028654f);
                    y = (inner + 1f) * g * 0.5f * u;
                }
                else
                {
                    y = g * u * (1f / (1f + MathF.Exp(-g)));
                }

                output[c] = Float16Bits.SingleToBf16(y);
            }
        }
    }

    public static void LogitSoftcap(KernelInputs inputs)
    {
        long count = inputs.I64("count");
        float cap = inputs.F32("cap");
        var logits = inputs.Buffer<float>("logits", 0, count);
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = MathF.Tanh(logits[i] / cap) * cap;
        }
    }
}
