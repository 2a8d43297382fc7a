using System.Buffers.Binary;
using System.Text;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;
using Xunit;

namespace LlmQueue.Models.Tests.Weights;

public class SafetensorsFileTests
{
    [Fact]
    public void Reads_bf16_f16_and_f32_tensors_exactly()
    {
        using var dir = new TempDirectory();
        float[] values = [0f, 1f, -2.5f, 3.140625f, 65504f, 6.1035156e-05f, -0.0009765625f, 1e-7f];
        var halves = values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray();
        var bf16 = values.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();
        string path = dir.File("t.safetensors");
        SafetensorsWriter.Write(path,
        [
            new("f32", TensorDType.F32, [2, 4], Bytes(values, (s, v) => BinaryPrimitives.WriteSingleLittleEndian(s, v), 4)),
            new("f16", TensorDType.F16, [8], Bytes(halves, (s, v) => BinaryPrimitives.WriteUInt16LittleEndian(s, v), 2)),
            new("bf16", TensorDType.BF16, [4, 2], Bytes(bf16, (s, v) => BinaryPrimitives.WriteUInt16LittleEndian(s, v), 2)),
        ]);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(values, file.Tensors["f32"].ToSingleArray());
        Assert.Equal(halves.Select(h => (float)BitConverter.UInt16BitsToHalf(h)), file.Tensors["f16"].ToSingleArray());
        Assert.Equal(bf16.Select(b => BitConverter.UInt32BitsToSingle((uint)b << 16)), file.Tensors["bf16"].ToSingleArray());
        Assert.Equal([4, 2], file.Tensors["bf16"].Shape);
        var row = new float[2];
        file.Tensors["bf16"].ReadRow(1, row);
        Assert.Equal(file.Tensors["bf16"].ToSingleArray()[2..4], row);
    }

    [Fact]
    public void Truncated_header_length_names_the_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        AssertFails(path, "too short");
    }

    [Fact]
    public void Header_longer_than_the_file_names_the_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("trunc.safetensors");
        WriteRaw(path, """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4], headerLengthOverride: 5000);
        AssertFails(path, "exceeds the file size");
    }

    [Fact]
    public void Bad_json_names_the_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        WriteRaw(path, """{"a":{"dtype":"F32",""", []);
        AssertFails(path, "not valid JSON");
    }

    [Fact]
    public void Offsets_out_of_range_name_the_file_and_tensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("range.safetensors");
        WriteRaw(path, """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", new byte[8]);
        AssertFails(path, "'w'", "past the end");
    }

    [Fact]
    public void Size_not_matching_dtype_and_shape_names_the_tensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("size.safetensors");
        WriteRaw(path, """{"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}}""", new byte[8]);
        AssertFails(path, "'w'", "needs 12");
    }

    [Fact]
    public void Unknown_dtype_names_the_dtype_and_tensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("dtype.safetensors");
        WriteRaw(path, """{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", new byte[8]);
        AssertFails(path, "'w'", "unsupported dtype 'I64'");
    }

    [Fact]
    public void Missing_fields_are_reported()
    {
        using var dir = new TempDirectory();
        string path = dir.File("fields.safetensors");
        WriteRaw(path, """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","data_offsets":[0,4]}}""", new byte[4]);
        AssertFails(path, "'w'", "shape");
    }

    private static void AssertFails(string path, params string[] fragments)
    {
        var error = Assert.Throws<ModelLoadException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        }
    }

    private static void WriteRaw(string path, string header, byte[] data, ulong? headerLengthOverride = null)
    {
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLengthOverride ?? (ulong)headerBytes.Length);
        headerBytes.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + headerBytes.Length);
        File.WriteAllBytes(path, bytes);
    }

    private static byte[] Bytes<T>(T[] values, Action<Span<byte>, T> write, int size)
    {
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            write(bytes.AsSpan(i * size, size), values[i]);
        }

        return bytes;
    }
}
