using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace LlmQueue.Models.Weights;

/// <summary>
/// One memory-mapped .safetensors file: u64 LE header length N, N bytes of JSON
/// {name: {dtype, shape, data_offsets}}, then the data. Tensors are views into the mapping.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly Dictionary<string, TensorView> _tensors;
    private bool _disposed;

    private SafetensorsFile(string path, MemoryMappedFile mapping, MemoryMappedViewAccessor view, Dictionary<string, TensorView> tensors)
    {
        Path = path;
        _mapping = mapping;
        _view = view;
        _tensors = tensors;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, TensorView> Tensors => _tensors;

    /// <summary>Maps and validates the file; throws <see cref="ModelLoadException"/> naming it on any problem.</summary>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        long fileLength = ReadFileLength(path);
        if (fileLength < sizeof(ulong))
        {
            throw ModelLoadException.For(path, $"file is {fileLength} bytes, too short for the 8-byte header length.");
        }

        var mapping = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* basePointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
            acquired = true;
            basePointer += view.PointerOffset;
            var tensors = ParseHeader(path, basePointer, fileLength);
            return new SafetensorsFile(path, mapping, view, tensors);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            mapping.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }

    private static long ReadFileLength(string path)
    {
        try
        {
            return new FileInfo(path) is { Exists: true } info
                ? info.Length
                : throw ModelLoadException.For(path, "file not found.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ModelLoadException.For(path, $"cannot read file: {e.Message}", e);
        }
    }

    private static Dictionary<string, TensorView> ParseHeader(string path, byte* basePointer, long fileLength)
    {
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePointer, sizeof(ulong)));
        if (headerLength > (ulong)(fileLength - sizeof(ulong)) || headerLength > MaxHeaderBytes)
        {
            throw ModelLoadException.For(path, $"header length {headerLength} exceeds the file size ({fileLength} bytes); the file is truncated or not safetensors.");
        }

        var headerBytes = new ReadOnlySpan<byte>(basePointer + sizeof(ulong), (int)headerLength);
        byte* dataStart = basePointer + sizeof(ulong) + (long)headerLength;
        long dataLength = fileLength - sizeof(ulong) - (long)headerLength;

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(headerBytes);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw ModelLoadException.For(path, $"header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ModelLoadException.For(path, "header JSON must be an object.");
            }

            var tensors = new Dictionary<string, TensorView>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                var entry = SafetensorsHeaderEntry.Parse(path, property.Name, property.Value, dataLength);
                tensors[property.Name] = new TensorView(
                    property.Name, path, entry.DType, entry.Shape, dataStart + entry.Begin, entry.End - entry.Begin);
            }

            return tensors;
        }
    }
}
