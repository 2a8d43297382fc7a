using System.Buffers.Binary;
using LlmQueue.Engine.Cpu;
using LlmQueue.Models.Weights;
using LlmQueue.TestKit;
using Xunit;

namespace LlmQueue.Engine.Cpu.Tests;

public unsafe class MatMulWorkTests
{
    // Both kernel widths (the 512-bit one falls back to 256-bit halves where AVX-512 is missing), every dtype,
    // k below / between / above the 16- and 32-column groups (scalar tails), token counts that leave partial
    // (repeated-token) and single-token blocks, row counts that leave partial 4-row blocks.
    [Theory]
    [InlineData(TensorDType.F32, 1, 8, 1, false)]
    [InlineData(TensorDType.F32, 1, 8, 1, true)]
    [InlineData(TensorDType.BF16, 7, 37, 3, false)]
    [InlineData(TensorDType.BF16, 7, 37, 3, true)]
    [InlineData(TensorDType.F16, 33, 64, 9, false)]
    [InlineData(TensorDType.F16, 33, 72, 9, true)]
    [InlineData(TensorDType.BF16, 130, 100, 70, false)]
    [InlineData(TensorDType.BF16, 130, 100, 70, true)]
    [InlineData(TensorDType.F32, 5, 19, 16, false)]
    [InlineData(TensorDType.F32, 5, 83, 16, true)]
    [InlineData(TensorDType.BF16, 18, 96, 16, true)]
    [InlineData(TensorDType.BF16, 21, 31, 11, true)]
    [InlineData(TensorDType.F16, 9, 47, 13, true)]
    [InlineData(TensorDType.BF16, 6, 160, 5, false)]
    public void Fused_matmul_matches_fp64_for_every_target(TensorDType dtype, int rows, int k, int tokens, bool wide)
    {
        var random = new Random(rows + k + tokens);
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        int[] rowCounts = [rows, rows + 3, Math.Max(1, rows / 2)];
        SafetensorsWriter.Write(path, [.. rowCounts.Select((r, i) => new SafetensorsTensor($"w{i}", dtype, [r, k], RandomBytes(random, r * k, dtype)))]);
        using var file = SafetensorsFile.Open(path);
        var x = Enumerable.Range(0, tokens * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        using var pool = new CpuWorkerPool(2);
        using var work = new MatMulWork(pool, wide);
        var outputs = rowCounts.Select(r => new float[tokens * r]).ToArray();
        fixed (float* px = x)
        fixed (float* y0 = outputs[0])
        fixed (float* y1 = outputs[1])
        fixed (float* y2 = outputs[2])
        {
            work.Run(px, tokens, new MatMulTarget(file.Tensors["w0"], y0), new MatMulTarget(file.Tensors["w1"], y1), new MatMulTarget(file.Tensors["w2"], y2));
        }

        for (int i = 0; i < rowCounts.Length; i++)
        {
            var weights = file.Tensors[$"w{i}"].ToSingleArray();
            var expected = new double[tokens * rowCounts[i]];
            for (int t = 0; t < tokens; t++)
            {
                for (int r = 0; r < rowCounts[i]; r++)
                {
                    double sum = 0;
                    for (int j = 0; j < k; j++)
                    {
                        sum += (double)weights[(r * k) + j] * x[(t * k) + j];
                    }

                    expected[(t * rowCounts[i]) + r] = sum;
                }
            }

            Assert.True(Compare.RelativeError(outputs[i], expected) < 1e-5, $"target {i}");
        }
    }

    private static byte[] RandomBytes(Random random, int count, TensorDType dtype)
    {
        var bytes = new byte[count * dtype.ElementSize()];
        for (int i = 0; i < count; i++)
        {
            float v = (float)(random.NextDouble() * 2 - 1);
            switch (dtype)
            {
                case TensorDType.F32: BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), v); break;
                case TensorDType.F16: BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), BitConverter.HalfToUInt16Bits((Half)v)); break;
                default: BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)); break;
            }
        }

        return bytes;
    }
}
