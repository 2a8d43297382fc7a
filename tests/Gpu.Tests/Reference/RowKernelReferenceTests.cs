using LlmQueue.Gpu.Devices;
using LlmQueue.Gpu.Checks;
using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Tests.Reference;

/// <summary>The row-wise kernels' C# twins (embedding, norms, residual add, gated activations, softcap) against f64 formulas.</summary>
public class RowKernelReferenceTests
{
    [Fact]
    public void Embedding_gathers_rows_and_scales_them()
    {
        var random = new Random(1);
        const int vocab = 50;
        const int width = 96;
        var table = FakeBuffers.ToBf16(FakeBuffers.Normal(random, vocab * width));
        int[] ids = [3, 49, 0, 3];
        using var gpu = new ReferenceBackend();
        var hidden = gpu.Fake.Upload(new float[ids.Length * width]);
        gpu.Launcher.EmbedTokens(default, new EmbedTokensCall(gpu.Fake.Upload<ushort>(table), gpu.Fake.Upload<int>(ids), hidden, ids.Length, width, 33.25f));
        var actual = gpu.Fake.Download<float>(hidden, ids.Length * width);
        var expected = ids.SelectMany(id => table.AsSpan(id * width, width).ToArray().Select(b => (double)Float16Bits.Bf16ToSingle(b) * 33.25)).ToArray();
        Assert.True(Errors.Relative(actual, expected) < 1e-7);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rms_norm_normalises_the_selected_rows(bool addOne)
    {
        var random = new Random(addOne ? 2 : 3);
        const int width = 300;
        var x = FakeBuffers.Normal(random, 5 * width, 3);
        var gain = FakeBuffers.Normal(random, width, 0.5);
        int[] rows = [4, 0, 4];
        using var gpu = new ReferenceBackend();
        var output = gpu.Fake.Upload(new ushort[rows.Length * width]);
        gpu.Launcher.RmsNorm(default, new RmsNormCall(gpu.Fake.Upload<float>(x), gpu.Fake.Upload<int>(rows), gpu.Fake.Upload<float>(gain), output, rows.Length, width, 1e-5f, addOne));
        var expected = rows.SelectMany(r => Norm(x.AsSpan(r * width, width), gain, addOne)).ToArray();
        Assert.True(Errors.Relative(Errors.FromBf16(gpu.Fake.Download<ushort>(output, rows.Length * width)), expected) < 1e-2);
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, false, true)]
    [InlineData(true, false, false)]
    public void Residual_add_applies_bias_and_sandwich_norm_then_norms_the_sum(bool bias, bool deltaNorm, bool nextNorm)
    {
        var random = new Random((bias ? 1 : 0) + (deltaNorm ? 2 : 0) + (nextNorm ? 4 : 0));
        const int width = 128;
        const int rows = 3;
        var hidden = FakeBuffers.Normal(random, rows * width, 2);
        var delta = FakeBuffers.Normal(random, rows * width, 2);
        var deltaBias = FakeBuffers.Normal(random, width);
        var deltaGain = FakeBuffers.Normal(random, width, 0.5);
        var gain = FakeBuffers.Normal(random, width, 0.5);
        using var gpu = new ReferenceBackend();
        var cuda = gpu.Fake;
        var hiddenBuffer = cuda.Upload<float>(hidden);
        var output = nextNorm ? cuda.Upload(new ushort[rows * width]) : DevicePointer.Null;
        gpu.Launcher.AddRmsNorm(default, new AddRmsNormCall(
            hiddenBuffer, cuda.Upload<float>(delta), bias ? cuda.Upload<float>(deltaBias) : DevicePointer.Null, deltaNorm ? cuda.Upload<float>(deltaGain) : DevicePointer.Null,
            nextNorm ? cuda.Upload<float>(gain) : DevicePointer.Null, output, rows, width, 1e-6f, AddOne: true));

        var sums = new double[rows * width];
        var normed = new List<double>();
        for (int r = 0; r < rows; r++)
        {
            var d = delta.AsSpan(r * width, width).ToArray().Select((v, i) => (double)v + (bias ? deltaBias[i] : 0)).ToArray();
            if (deltaNorm)
            {
                d = Norm(d.Select(v => (float)v).ToArray(), deltaGain, addOne: true, eps: 1e-6);
            }

            for (int i = 0; i < width; i++)
            {
                sums[(r * width) + i] = hidden[(r * width) + i] + d[i];
            }

            normed.AddRange(Norm(sums.AsSpan(r * width, width).ToArray().Select(v => (float)v).ToArray(), gain, addOne: true, eps: 1e-6));
        }

        Assert.True(Errors.Relative(cuda.Download<float>(hiddenBuffer, rows * width), sums) < 1e-6);
        if (nextNorm)
        {
            Assert.True(Errors.Relative(Errors.FromBf16(cuda.Download<ushort>(output, rows * width)), [.. normed]) < 1e-2);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gated_activation_is_act_of_gate_times_up(bool gelu)
    {
        var random = new Random(gelu ? 5 : 6);
        const int tokens = 3;
        const int inter = 257;
        var gateUp = FakeBuffers.Normal(random, tokens * 2 * inter, 3);
        using var gpu = new ReferenceBackend();
        var output = gpu.Fake.Upload(new ushort[tokens * inter]);
        gpu.Launcher.GatedActivation(default, new GatedActivationCall(gpu.Fake.Upload<float>(gateUp), output, tokens, inter, gelu));
        var expected = new double[tokens * inter];
        for (int t = 0; t < tokens; t++)
        {
            for (int c = 0; c < inter; c++)
            {
                double g = gateUp[(t * 2 * inter) + c];
                double u = gateUp[(t * 2 * inter) + inter + c];
                double act = gelu ? 0.5 * g * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (g + (0.044715 * g * g * g)))) : g / (1 + Math.Exp(-g));
                expected[(t * inter) + c] = act * u;
            }
        }

        Assert.True(Errors.Relative(Errors.FromBf16(gpu.Fake.Download<ushort>(output, tokens * inter)), expected) < 1e-2);
    }

    [Fact]
    public void Logit_softcap_is_tanh_of_the_scaled_logit()
    {
        var logits = FakeBuffers.Normal(new Random(7), 1000, 40);
        using var gpu = new ReferenceBackend();
        var buffer = gpu.Fake.Upload<float>(logits);
        gpu.Launcher.LogitSoftcap(default, new LogitSoftcapCall(buffer, logits.Length, 30f));
        Assert.True(Errors.Relative(gpu.Fake.Download<float>(buffer, logits.Length), [.. logits.Select(v => Math.Tanh(v / 30.0) * 30)]) < 1e-6);
    }

    private static double[] Norm(ReadOnlySpan<float> x, float[] gain, bool addOne, double eps = 1e-5)
    {
        double sum = 0;
        foreach (float v in x)
        {
            sum += (double)v * v;
        }

        double inverse = 1 / Math.Sqrt((sum / x.Length) + eps);
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            result[i] = x[i] * inverse * (addOne ? 1 + gain[i] : gain[i]);
        }

        return result;
    }
}
