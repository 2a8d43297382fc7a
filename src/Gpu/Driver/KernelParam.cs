namespace LlmQueue.Gpu.Driver;

/// <summary>How a kernel parameter is passed; each maps to one PTX parameter type.</summary>
public enum KernelParamKind
{
    /// <summary>A device pointer (.u64 in PTX).</summary>
    Address,

    /// <summary>int (.u32 in PTX).</summary>
    I32,

    /// <summary>long long (.u64 in PTX).</summary>
    I64,

    /// <summary>float (.f32 in PTX).</summary>
    F32,
}

/// <summary>One kernel parameter: its name in the CUDA source and how it is passed.</summary>
public readonly record struct KernelParam(string Name, KernelParamKind Kind)
{
    /// <summary>The PTX .param type this parameter compiles to.</summary>
    public string PtxType => Kind switch
    {
        KernelParamKind.I32 => ".u32",
        KernelParamKind.F32 => ".f32",
        _ => ".u64",
    };
}
