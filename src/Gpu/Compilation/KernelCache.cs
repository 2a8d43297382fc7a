using System.Security.Cryptography;
using System.Text;

namespace LlmQueue.Gpu.Compilation;

/// <summary>
/// Compiled kernels on disk, keyed by the sources' hash, the compile options, the target architecture and the
/// NVRTC version, so a start-up after the first skips NVRTC (seconds) unless any of those changed. Entries are
/// written to a temporary name and renamed into place, so concurrent processes never read half a file; an entry
/// that cannot be read is compiled again.
/// </summary>
public sealed class KernelCache
{
    public KernelCache(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>The cached compile for this key, else a fresh one (then stored). <paramref name="compiled"/> says which.</summary>
    public CompiledKernels GetOrCompile(NvrtcCompiler compiler, KernelSources sources, string target, out bool compiled)
    {
        ArgumentNullException.ThrowIfNull(compiler);
        ArgumentNullException.ThrowIfNull(sources);
        string stem = Path.Combine(Directory, EntryName(sources, target, compiler.Version));
        if (TryRead(stem, target, compiler.Version) is { } cached)
        {
            compiled = false;
            return cached;
        }

        var result = compiler.Compile(sources, target);
        Write(stem, result);
        compiled = true;
        return result;
    }

    /// <summary>File name stem of one cache entry: readable prefix, then a digest of everything that changes the output.</summary>
    public static string EntryName(KernelSources sources, string target, string nvrtcVersion)
    {
        ArgumentNullException.ThrowIfNull(sources);
        string key = string.Join('\n', [sources.Hash, target, nvrtcVersion, .. NvrtcCompiler.BaseOptions]);
        string digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return $"kernels-{target}-nvrtc{nvrtcVersion}-{digest}";
    }

    private static CompiledKernels? TryRead(string stem, string target, string nvrtcVersion)
    {
        try
        {
            if (!File.Exists(stem + ".image"))
            {
                return null;
            }

            return new CompiledKernels(
                target,
                File.ReadAllBytes(stem + ".image"),
                target.StartsWith("sm_", StringComparison.Ordinal),
                File.ReadAllText(stem + ".ptx"),
                File.ReadAllText(stem + ".log"),
                nvrtcVersion);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Write(string stem, CompiledKernels result)
    {
        System.IO.Directory.CreateDirectory(Directory);
        // The image is renamed last: its presence marks a complete entry.
        WriteAtomically(stem + ".ptx", path => File.WriteAllText(path, result.Ptx));
        WriteAtomically(stem + ".log", path => File.WriteAllText(path, result.Log));
        WriteAtomically(stem + ".image", path => File.WriteAllBytes(path, result.Image));
    }

    private static void WriteAtomically(string path, Action<string> write)
    {
        string scratch = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        write(scratch);
        File.Move(scratch, path, overwrite: true);
    }
}
