namespace LlmQueue.Gpu.Native;

/// <summary>cuBLAS (v2 API) as unmanaged function pointers; statuses are cublasStatus_t.</summary>
internal sealed unsafe class CublasNative
{
    public static readonly string[] Sonames = ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"];

    private CublasNative(nint library, string name)
    {
        Name = name;
        nint F(string symbol) => NativeLibraryProbe.Export(library, name, symbol);
        Create = (delegate* unmanaged<nint*, int>)F("cublasCreate_v2");
        Destroy = (delegate* unmanaged<nint, int>)F("cublasDestroy_v2");
        GetVersion = (delegate* unmanaged<nint, int*, int>)F("cublasGetVersion_v2");
        SetStream = (delegate* unmanaged<nint, nint, int>)F("cublasSetStream_v2");
        SetWorkspace = (delegate* unmanaged<nint, ulong, nuint, int>)F("cublasSetWorkspace_v2");
        GemmEx = (delegate* unmanaged<nint, int, int, int, int, int, float*, ulong, int, int, ulong, int, int, float*, ulong, int, int, int, int, int>)F("cublasGemmEx");
        GemmStridedBatchedEx = (delegate* unmanaged<nint, int, int, int, int, int, float*, ulong, int, int, long, ulong, int, int, long, float*, ulong, int, int, long, int, int, int, int>)F("cublasGemmStridedBatchedEx");
    }

    public string Name { get; }

    public delegate* unmanaged<nint*, int> Create { get; }

    public delegate* unmanaged<nint, int> Destroy { get; }

    public delegate* unmanaged<nint, int*, int> GetVersion { get; }

    public delegate* unmanaged<nint, nint, int> SetStream { get; }

    public delegate* unmanaged<nint, ulong, nuint, int> SetWorkspace { get; }

    /// <summary>(handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C, Ctype, ldc, computeType, algo).</summary>
    public delegate* unmanaged<nint, int, int, int, int, int, float*, ulong, int, int, ulong, int, int, float*, ulong, int, int, int, int, int> GemmEx { get; }

    /// <summary>GemmEx plus a stride after each matrix and the batch count before computeType.</summary>
    public delegate* unmanaged<nint, int, int, int, int, int, float*, ulong, int, int, long, ulong, int, int, long, float*, ulong, int, int, long, int, int, int, int> GemmStridedBatchedEx { get; }

    public static CublasNative? TryLoad() =>
        NativeLibraryProbe.TryLoad(Sonames) is { } found ? new CublasNative(found.Handle, found.Name) : null;

    public static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new CudaException(call, status, StatusName(status));
        }
    }

    /// <summary>cublasStatus_t names (cublasGetStatusName exists only from 11.4 on; these codes are stable).</summary>
    private static string StatusName(int status) => status switch
    {
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => "CUBLAS_STATUS_UNKNOWN",
    };
}
