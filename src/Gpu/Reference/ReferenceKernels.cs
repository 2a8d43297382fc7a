using LlmQueue.Gpu.Blas;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Reference;

/// <summary>Runs a launch as the C# reference of the kernel it names.</summary>
public static class ReferenceKernels
{
    /// <summary>True when <paramref name="name"/> has a reference (every catalog kernel does).</summary>
    public static bool Has(string name) => KernelCatalog.All.Any(s => s.Name == name);

    public static void Run(FakeDeviceMemory memory, LaunchDims dims, KernelArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(arguments);
        arguments.EnsureComplete();
        var inputs = new KernelInputs(memory, arguments);
        string name = arguments.Signature.Name;
        switch (name)
        {
            case "embed_tokens":
                EmbeddingReference.EmbedTokens(inputs, dims);
                break;
            case "rms_norm":
                NormReference.RmsNorm(inputs, dims);
                break;
            case "add_rms_norm":
                NormReference.AddRmsNorm(inputs, dims);
                break;
            case "rope_qkv_store":
                RopeReference.RopeQkvStore(inputs, dims);
                break;
            case "paged_attention_reduce":
                AttentionReference.Reduce(inputs, dims);
                break;
            case "gated_activation":
                ActivationReference.GatedActivation(inputs);
                break;
            case "apply_penalties":
                SamplingReference.ApplyPenalties(inputs);
                break;
            case "sample_rows":
                SamplingReference.SampleRows(inputs);
                break;
            case "gemv_bf16":
                FakeBlas.Compute(memory, new MatMul(
                    arguments.GetAddress("x"), arguments.GetAddress("w"), arguments.GetAddress("y"), inputs.I32("out_bf16") != 0 ? BlasElement.Bf16 : BlasElement.F32,
                    1, inputs.I32("n"), inputs.I32("k")));
                break;
            case "logit_softcap":
                ActivationReference.LogitSoftcap(inputs);
                break;
            default:
                int headDim = KernelCatalog.AttentionHeadDims.FirstOrDefault(d => name == KernelCatalog.PagedAttention(d).Name);
                if (headDim == 0)
                {
                    throw new ArgumentException($"No reference for kernel '{name}'.", nameof(arguments));
                }

                AttentionReference.PagedAttention(inputs, dims, headDim);
                break;
        }
    }
}
