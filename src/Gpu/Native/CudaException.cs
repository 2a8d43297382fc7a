namespace LlmQueue.Gpu.Native;

/// <summary>A CUDA, NVRTC or cuBLAS call returned an error status; the message names the call and the status.</summary>
public sealed class CudaException : Exception
{
    public CudaException()
    {
    }

    public CudaException(string message)
        : base(message)
    {
    }

    public CudaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CudaException(string call, int status, string statusName, string? detail = null)
        : base($"{call} failed: {statusName} ({status}){(string.IsNullOrEmpty(detail) ? "" : ": " + detail)}")
    {
        Call = call;
        Status = status;
        StatusName = statusName;
    }

    /// <summary>The library function that failed, e.g. "cuMemAlloc_v2".</summary>
    public string Call { get; } = "";

    public int Status { get; }

    /// <summary>The library's name for the status, e.g. "CUDA_ERROR_OUT_OF_MEMORY".</summary>
    public string StatusName { get; } = "";
}
