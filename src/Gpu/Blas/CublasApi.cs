using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Native;

namespace LlmQueue.Gpu.Blas;

/// <summary>
/// <see cref="IBlasApi"/> over cuBLAS GemmEx. Row-major Y = X W^T is column-major Y^T = W^T' X^T': cuBLAS gets
/// (op T on W, op N on X, m = N, n = M), so no operand is ever transposed in memory. A fixed workspace is set so
/// products can be captured into CUDA graphs (cuBLAS must not allocate during capture).
/// </summary>
public sealed unsafe class CublasApi : IBlasApi
{
    /// <summary>cuBLAS's recommendation for Hopper.</summary>
    public const long WorkspaceBytes = 32L << 20;

    private const int OpN = 0;
    private const int OpT = 1;
    private const int RealF32 = 0;
    private const int RealBf16 = 14;
    private const int ComputeF32 = 68;
    private const int GemmDefault = -1;

    private readonly CublasNative _native;
    private readonly ICudaApi _cuda;
    private readonly nint _handle;
    private readonly DevicePointer _workspace;
    private CudaStreamHandle _stream;
    private bool _disposed;

    private CublasApi(CublasNative native, ICudaApi cuda, nint handle, DevicePointer workspace, string version)
    {
        _native = native;
        _cuda = cuda;
        _handle = handle;
        _workspace = workspace;
        Version = version;
    }

    public string Version { get; }

    /// <summary>Creates a handle on <paramref name="cuda"/>'s device (its context must be current, as ICudaApi keeps it).</summary>
    public static CublasApi Create(ICudaApi cuda)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        var native = CublasNative.TryLoad()
            ?? throw new CudaException($"cuBLAS could not be loaded (tried {string.Join(", ", CublasNative.Sonames)}; set {NativeLibraryProbe.PathVariable} to its folder).");
        var workspace = cuda.Allocate(WorkspaceBytes);
        nint handle;
        CublasNative.Check(native.Create(&handle), "cublasCreate_v2");
        int version;
        CublasNative.Check(native.GetVersion(handle, &version), "cublasGetVersion_v2");
        CublasNative.Check(native.SetWorkspace(handle, workspace.Address, (nuint)WorkspaceBytes), "cublasSetWorkspace_v2");
        return new CublasApi(native, cuda, handle, workspace, $"{native.Name} {version / 10000}.{version % 10000 / 100}.{version % 100}");
    }

    public void Multiply(CudaStreamHandle stream, MatMul product)
    {
        product.Validate();
        Bind(stream);
        float alpha = 1f;
        float beta = 0f;
        CublasNative.Check(
            _native.GemmEx(
                _handle, OpT, OpN, product.N, product.M, product.K, &alpha,
                product.W.Address, RealBf16, product.K,
                product.X.Address, RealBf16, product.K, &beta,
                product.Y.Address, DataType(product.Output), product.N, ComputeF32, GemmDefault),
            "cublasGemmEx");
    }

    public void MultiplyBatched(CudaStreamHandle stream, BatchedMatMul product)
    {
        var shape = product.Shape;
        shape.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(product.Batch);
        Bind(stream);
        float alpha = 1f;
        float beta = 0f;
        CublasNative.Check(
            _native.GemmStridedBatchedEx(
                _handle, OpT, OpN, shape.N, shape.M, shape.K, &alpha,
                shape.W.Address, RealBf16, shape.K, product.StrideW,
                shape.X.Address, RealBf16, shape.K, product.StrideX, &beta,
                shape.Y.Address, DataType(shape.Output), shape.N, product.StrideY, product.Batch, ComputeF32, GemmDefault),
            "cublasGemmStridedBatchedEx");
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        CublasNative.Check(_native.Destroy(_handle), "cublasDestroy_v2");
        _cuda.Free(_workspace);
    }

    private static int DataType(BlasElement element) => element == BlasElement.Bf16 ? RealBf16 : RealF32;

    private void Bind(CudaStreamHandle stream)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (stream != _stream)
        {
            // Setting a stream resets the workspace to cuBLAS's own pool, so it is set again.
            CublasNative.Check(_native.SetStream(_handle, stream.Handle), "cublasSetStream_v2");
            CublasNative.Check(_native.SetWorkspace(_handle, _workspace.Address, (nuint)WorkspaceBytes), "cublasSetWorkspace_v2");
            _stream = stream;
        }
    }
}
