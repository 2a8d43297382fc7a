using LlmQueue.Gpu.Driver;

namespace LlmQueue.Gpu.Kernels;

/// <summary>The loaded kernel module and a handle for every kernel of the catalog.</summary>
public sealed class KernelModule : IDisposable
{
    private readonly ICudaApi _cuda;
    private readonly CudaModule _module;
    private readonly Dictionary<string, CudaFunction> _functions;

    private KernelModule(ICudaApi cuda, CudaModule module, Dictionary<string, CudaFunction> functions)
    {
        _cuda = cuda;
        _module = module;
        _functions = functions;
    }

    /// <summary>Loads <paramref name="image"/> (CUBIN or PTX) and resolves every catalog kernel; a missing one is an error.</summary>
    public static KernelModule Load(ICudaApi cuda, byte[] image)
    {
        ArgumentNullException.ThrowIfNull(cuda);
        var module = cuda.LoadModule(image);
        var functions = KernelCatalog.All.ToDictionary(s => s.Name, s => cuda.GetFunction(module, s.Name), StringComparer.Ordinal);
        return new KernelModule(cuda, module, functions);
    }

    public CudaFunction Function(KernelSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return _functions[signature.Name];
    }

    /// <summary>Each kernel's registers, shared and local memory as the driver reports them.</summary>
    public IReadOnlyDictionary<string, FunctionAttributes> Attributes() =>
        _functions.ToDictionary(f => f.Key, f => _cuda.GetAttributes(f.Value), StringComparer.Ordinal);

    public void Dispose() => _cuda.UnloadModule(_module);
}
