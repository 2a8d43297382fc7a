using System.Security.Cryptography;

namespace LlmQueue.Models.Weights;

/// <summary>
/// A content-based identity for a checkpoint folder, the root of every KV block hash and remote key: two replicas
/// agree on it only if they serve the same weights. Hashing every byte of a multi-GB checkpoint would delay start-up
/// by seconds, so it covers config.json, each safetensors file's name, length and header (every tensor's name,
/// dtype, shape and offsets) and a sample of tensor bytes at the start and end of each file; weights that differ
/// only in untouched middle bytes of a file with the same header are not told apart.
/// </summary>
public static class ModelFingerprint
{
    private const int SampleBytes = 64 * 1024;

    public static string Compute(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendFile(hash, Path.Combine(folder, "config.json"), whole: true);
        foreach (var file in Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal))
        {
            AppendFile(hash, file, whole: false);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendFile(IncrementalHash hash, string path, bool whole)
    {
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(path) + "\n"));
        using var stream = File.OpenRead(path);
        hash.AppendData(BitConverter.GetBytes(stream.Length));
        if (whole || stream.Length <= 2 * SampleBytes)
        {
            AppendRange(hash, stream, 0, stream.Length);
            return;
        }

        // safetensors: u64 header length, header JSON, then data; sample the data's two ends.
        Span<byte> prefix = stackalloc byte[sizeof(ulong)];
        stream.ReadExactly(prefix);
        var headerEnd = (long)Math.Min(BitConverter.ToUInt64(prefix) + sizeof(ulong), (ulong)stream.Length);
        AppendRange(hash, stream, 0, Math.Min(headerEnd + SampleBytes, stream.Length));
        AppendRange(hash, stream, Math.Max(stream.Length - SampleBytes, 0), SampleBytes);
    }

    private static void AppendRange(IncrementalHash hash, Stream stream, long offset, long count)
    {
        var buffer = new byte[Math.Min(count, 1 << 20)];
        stream.Position = offset;
        for (var left = Math.Min(count, stream.Length - offset); left > 0;)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, read);
            left -= read;
        }
    }
}
