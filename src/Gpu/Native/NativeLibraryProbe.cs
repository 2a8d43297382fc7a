using System.Runtime.InteropServices;

namespace LlmQueue.Gpu.Native;

/// <summary>
/// Finds a shared library by trying sonames in order, first in the folders of LLMQ_CUDA_LIBRARY_PATH (colon
/// separated; for toolkits outside the loader's path, e.g. pip's nvidia-* packages), then through the loader.
/// </summary>
internal static class NativeLibraryProbe
{
    public const string PathVariable = "LLMQ_CUDA_LIBRARY_PATH";

    /// <summary>The loaded library's handle and the path or soname that worked, or null when none loads.</summary>
    public static (nint Handle, string Name)? TryLoad(IReadOnlyList<string> sonames)
    {
        ArgumentNullException.ThrowIfNull(sonames);
        var folders = (Environment.GetEnvironmentVariable(PathVariable) ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var soname in sonames)
        {
            foreach (var folder in folders)
            {
                var path = Path.Combine(folder, soname);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle))
                {
                    return (handle, path);
                }
            }

            if (NativeLibrary.TryLoad(soname, out var loaded))
            {
                return (loaded, soname);
            }
        }

        return null;
    }

    /// <summary>The address of an exported function; throws naming the symbol and library when it is missing.</summary>
    public static nint Export(nint library, string libraryName, params string[] symbols)
    {
        foreach (var symbol in symbols)
        {
            if (NativeLibrary.TryGetExport(library, symbol, out var address))
            {
                return address;
            }
        }

        throw new CudaException($"{libraryName} does not export {string.Join(" or ", symbols)}; the library is older than this backend needs.");
    }
}
