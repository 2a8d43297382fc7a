using System.Runtime.InteropServices;
using System.Text;
using LlmQueue.Gpu.Native;

namespace LlmQueue.Gpu.Compilation;

/// <summary>Compiles the kernel sources with NVRTC; every NVRTC call's status is checked.</summary>
public sealed unsafe class NvrtcCompiler
{
    private readonly NvrtcNative _native;

    private NvrtcCompiler(NvrtcNative native)
    {
        _native = native;
        int major;
        int minor;
        _native.Check(_native.Version(&major, &minor), "nvrtcVersion");
        Version = $"{major}.{minor}";
        int count;
        _native.Check(_native.GetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
        var archs = new int[count];
        fixed (int* list = archs)
        {
            _native.Check(_native.GetSupportedArchs(list), "nvrtcGetSupportedArchs");
        }

        SupportedArchitectures = archs;
    }

    /// <summary>"major.minor" of the loaded NVRTC.</summary>
    public string Version { get; }

    /// <summary>Path or soname of the loaded library.</summary>
    public string LibraryName => _native.Name;

    /// <summary>Compute capabilities NVRTC can emit code for, as 10 x major + minor.</summary>
    public IReadOnlyList<int> SupportedArchitectures { get; }

    /// <summary>The options every compile uses besides the target; part of the cache key.</summary>
    public static IReadOnlyList<string> BaseOptions { get; } = ["-std=c++17", "--ptxas-options=-v"];

    /// <summary>Loads NVRTC, or returns null when no library is found.</summary>
    public static NvrtcCompiler? TryLoad() => NvrtcNative.TryLoad() is { } native ? new NvrtcCompiler(native) : null;

    public static NvrtcCompiler Load() => TryLoad()
        ?? throw new CudaException($"NVRTC could not be loaded (tried {string.Join(", ", NvrtcNative.Sonames)}; set {NativeLibraryProbe.PathVariable} to its folder).");

    /// <summary>
    /// The target for a device of compute capability <paramref name="major"/>.<paramref name="minor"/>: its own
    /// sm_XX when NVRTC knows it, else PTX for the newest architecture NVRTC knows below it (the driver finishes it).
    /// </summary>
    public string TargetFor(int major, int minor)
    {
        int wanted = (major * 10) + minor;
        if (SupportedArchitectures.Contains(wanted))
        {
            return $"sm_{wanted}";
        }

        int best = SupportedArchitectures.Where(a => a < wanted).DefaultIfEmpty(-1).Max();
        return best > 0
            ? $"compute_{best}"
            : throw new CudaException($"NVRTC {Version} cannot compile for compute capability {major}.{minor} or any older architecture.");
    }

    /// <summary>Compiles for <paramref name="target"/> (sm_XX: CUBIN; compute_XX: PTX); throws with NVRTC's log on errors.</summary>
    public CompiledKernels Compile(KernelSources sources, string target)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentException.ThrowIfNullOrEmpty(target);
        var headers = sources.Files.ToArray();
        using var strings = new Utf8Strings();
        byte** headerTexts = stackalloc byte*[headers.Length];
        byte** headerNames = stackalloc byte*[headers.Length];
        for (int i = 0; i < headers.Length; i++)
        {
            headerTexts[i] = strings.Add(headers[i].Value);
            headerNames[i] = strings.Add(headers[i].Key);
        }

        var options = BaseOptions.Prepend($"--gpu-architecture={target}").ToArray();
        byte** optionTexts = stackalloc byte*[options.Length];
        for (int i = 0; i < options.Length; i++)
        {
            optionTexts[i] = strings.Add(options[i]);
        }

        nint program;
        _native.Check(_native.CreateProgram(&program, strings.Add(sources.Main), strings.Add(sources.MainName), headers.Length, headerTexts, headerNames), "nvrtcCreateProgram");
        try
        {
            int status = _native.CompileProgram(program, options.Length, optionTexts);
            string log = ReadText(program, _native.GetProgramLogSize, _native.GetProgramLog, "nvrtcGetProgramLog");
            _native.Check(status, "nvrtcCompileProgram", log);
            string ptx = ReadText(program, _native.GetPtxSize, _native.GetPtx, "nvrtcGetPTX");
            bool cubin = target.StartsWith("sm_", StringComparison.Ordinal);
            byte[] image = cubin ? ReadBytes(program, _native.GetCubinSize, _native.GetCubin, "nvrtcGetCUBIN") : Encoding.UTF8.GetBytes(ptx + "\0");
            return new CompiledKernels(target, image, cubin, ptx, log, Version);
        }
        finally
        {
            _native.Check(_native.DestroyProgram(&program), "nvrtcDestroyProgram");
        }
    }

    private string ReadText(nint program, delegate* unmanaged<nint, nuint*, int> size, delegate* unmanaged<nint, byte*, int> read, string call)
    {
        var bytes = ReadBytes(program, size, read, call);
        int length = Array.IndexOf(bytes, (byte)0);
        return Encoding.UTF8.GetString(bytes, 0, length < 0 ? bytes.Length : length);
    }

    private byte[] ReadBytes(nint program, delegate* unmanaged<nint, nuint*, int> size, delegate* unmanaged<nint, byte*, int> read, string call)
    {
        nuint length;
        _native.Check(size(program, &length), call + "Size");
        var bytes = new byte[(int)length];
        fixed (byte* data = bytes)
        {
            _native.Check(read(program, data), call);
        }

        return bytes;
    }

    /// <summary>Null-terminated UTF-8 copies in unmanaged memory, freed together.</summary>
    private sealed class Utf8Strings : IDisposable
    {
        private readonly List<nint> _allocations = [];

        public byte* Add(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var memory = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(memory, bytes.Length));
            memory[bytes.Length] = 0;
            _allocations.Add((nint)memory);
            return memory;
        }

        public void Dispose()
        {
            foreach (var allocation in _allocations)
            {
                NativeMemory.Free((void*)allocation);
            }
        }
    }
}
