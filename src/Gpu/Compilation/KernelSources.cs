using System.Security.Cryptography;
using System.Text;

namespace LlmQueue.Gpu.Compilation;

/// <summary>
/// The CUDA C sources embedded in this assembly: every .cu and .cuh under Kernels/. They compile as one translation
/// unit (a generated main file that includes each .cu), so one module holds every kernel.
/// </summary>
public sealed class KernelSources
{
    private const string ResourcePrefix = "LlmQueue.Gpu.Kernels.";

    private KernelSources(IReadOnlyDictionary<string, string> files)
    {
        Files = files;
        MainName = "llmq_kernels.cu";
        Main = string.Concat(files.Keys.Where(n => n.EndsWith(".cu", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(n => $"#include \"{n}\"\n"));
        var digest = new StringBuilder(Main);
        foreach (var (name, text) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            digest.Append('\0').Append(name).Append('\0').Append(text);
        }

        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(digest.ToString())));
    }

    /// <summary>File name to source text; the generated main file includes these by name.</summary>
    public IReadOnlyDictionary<string, string> Files { get; }

    public string MainName { get; }

    public string Main { get; }

    /// <summary>SHA-256 of every file's name and text (lower-case hex): part of the compile cache key.</summary>
    public string Hash { get; }

    /// <summary>The kernels shipped with this assembly.</summary>
    public static KernelSources Embedded()
    {
        var assembly = typeof(KernelSources).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            files[resource[ResourcePrefix.Length..]] = reader.ReadToEnd();
        }

        if (!files.Keys.Any(n => n.EndsWith(".cu", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("No CUDA kernel sources are embedded in LlmQueue.Gpu (Kernels/*.cu).");
        }

        return new KernelSources(files);
    }

    /// <summary>Sources from explicit files (tests compile variations).</summary>
    public static KernelSources From(IReadOnlyDictionary<string, string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return new KernelSources(new Dictionary<string, string>(files, StringComparer.Ordinal));
    }
}
