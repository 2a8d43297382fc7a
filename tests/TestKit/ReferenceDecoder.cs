using LlmQueue.Models;
using LlmQueue.Models.Weights;

namespace LlmQueue.TestKit;

/// <summary>
/// Naive fp64 decoder forward (dense, contiguous, causal with the sliding-window mask) written from the
/// Hugging Face modeling files of Llama, Qwen 2/3 and Gemma 2/3, used as the independent reference for
/// the CPU runner. It reads raw tensors by their checkpoint names and decides family features itself;
/// it takes only sizes, windows, softcaps and RoPE numbers from the parsed config. Returns logits for
/// every position.
/// </summary>
public sealed class ReferenceDecoder
{
    private static readonly string[] DecoderPrefixes = ["model.", "language_model.model.", "model.language_model."];

    private readonly ModelConfig _c;
    private readonly bool _gemma;
    private readonly double _embeddingScale;
    private readonly double[][] _embedding;
    private readonly Layer[] _layers;
    private readonly double[] _finalNorm;
    private readonly double[][] _lmHead;

    public ReferenceDecoder(LlamaModel model)
    {
        _c = model.Config;
        _gemma = _c.Family is ModelFamily.Gemma2 or ModelFamily.Gemma3;
        using var store = WeightStore.Open(model.Folder);
        string prefix = DecoderPrefixes.First(p => store.Contains(p + "embed_tokens.weight"));
        var embedding = store.Get(prefix + "embed_tokens.weight");
        _embedding = Rows(embedding);
        _embeddingScale = _gemma ? RoundToDType(Math.Sqrt(_c.HiddenSize), embedding.DType) : 1;
        _lmHead = _c.TieWordEmbeddings
            ? _embedding
            : Rows(store.Get(new[] { "lm_head.weight", "language_model.lm_head.weight" }.First(store.Contains)));
        _finalNorm = Vector(store, prefix + "norm.weight");
        _layers = [.. Enumerable.Range(0, _c.NumLayers).Select(i => ReadLayer(store, $"{prefix}layers.{i}."))];
    }

    public double[][] Forward(IReadOnlyList<int> tokens)
    {
        int n = tokens.Count;
        var x = tokens.Select(t => _embedding[t].Select(v => v * _embeddingScale).ToArray()).ToArray();
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var normed = x.Select(row => Norm(row, layer.InputNorm)).ToArray();
            var q = normed.Select(row => HeadNorm(Linear(layer.Q, layer.QBias, row), layer.QNorm)).ToArray();
            var k = normed.Select(row => HeadNorm(Linear(layer.K, layer.KBias, row), layer.KNorm)).ToArray();
            var v = normed.Select(row => Linear(layer.V, layer.VBias, row)).ToArray();
            var inverseFrequencies = InverseFrequencies(RopeOf(l));
            q = [.. q.Select((row, p) => Rope(row, p, inverseFrequencies))];
            k = [.. k.Select((row, p) => Rope(row, p, inverseFrequencies))];
            for (int p = 0; p < n; p++)
            {
                var attended = Linear(layer.O, layer.OBias, Attend(q, k, v, p, _c.SlidingWindowOf(l)));
                Accumulate(x[p], _gemma ? Norm(attended, layer.PostAttentionNorm) : attended);
            }

            for (int p = 0; p < n; p++)
            {
                var h = Norm(x[p], _gemma ? layer.PreFeedforwardNorm! : layer.PostAttentionNorm);
                var gate = MatVec(layer.Gate, h);
                var up = MatVec(layer.Up, h);
                var mlp = MatVec(layer.Down, [.. gate.Select((g, i) => Activation(g) * up[i])]);
                Accumulate(x[p], _gemma ? Norm(mlp, layer.PostFeedforwardNorm!) : mlp);
            }
        }

        return [.. x.Select(row => MatVec(_lmHead, Norm(row, _finalNorm)).Select(SoftcapLogit).ToArray())];
    }

    /// <summary>The next <paramref name="count"/> argmax tokens after <paramref name="prompt"/>.</summary>
    public int[] Greedy(IReadOnlyList<int> prompt, int count)
    {
        var sequence = prompt.ToList();
        for (int i = 0; i < count; i++)
        {
            var last = Forward(sequence)[^1];
            sequence.Add(Array.IndexOf(last, last.Max()));
        }

        return [.. sequence.Skip(prompt.Count)];
    }

    private Layer ReadLayer(WeightStore store, string p)
    {
        bool qkNorm = _c.Family is ModelFamily.Qwen3 or ModelFamily.Gemma3;
        return new Layer(
            Rows(store.Get(p + "self_attn.q_proj.weight")), Rows(store.Get(p + "self_attn.k_proj.weight")),
            Rows(store.Get(p + "self_attn.v_proj.weight")), Rows(store.Get(p + "self_attn.o_proj.weight")),
            OptionalVector(store, p + "self_attn.q_proj.bias"), OptionalVector(store, p + "self_attn.k_proj.bias"),
            OptionalVector(store, p + "self_attn.v_proj.bias"), OptionalVector(store, p + "self_attn.o_proj.bias"),
            qkNorm ? Vector(store, p + "self_attn.q_norm.weight") : null,
            qkNorm ? Vector(store, p + "self_attn.k_norm.weight") : null,
            Rows(store.Get(p + "mlp.gate_proj.weight")), Rows(store.Get(p + "mlp.up_proj.weight")), Rows(store.Get(p + "mlp.down_proj.weight")),
            Vector(store, p + "input_layernorm.weight"), Vector(store, p + "post_attention_layernorm.weight"),
            _gemma ? Vector(store, p + "pre_feedforward_layernorm.weight") : null,
            _gemma ? Vector(store, p + "post_feedforward_layernorm.weight") : null);
    }

    private double[] Attend(double[][] q, double[][] k, double[][] v, int p, int? window)
    {
        int hd = _c.HeadDim;
        int group = _c.NumHeads / _c.NumKvHeads;
        double scale = Math.Pow(_c.QueryPreAttnScalar ?? hd, -0.5);
        var output = new double[_c.NumHeads * hd];
        for (int h = 0; h < _c.NumHeads; h++)
        {
            int kvOffset = h / group * hd;
            // Keys kv with q - W < kv <= q on a sliding layer; 0..q otherwise.
            var visible = Enumerable.Range(0, p + 1).Where(j => window is not int w || j > p - w).ToArray();
            var scores = visible.Select(j =>
            {
                double dot = 0;
                for (int d = 0; d < hd; d++)
                {
                    dot += q[p][(h * hd) + d] * k[j][kvOffset + d];
                }

                double s = dot * scale;
                return _c.AttentionSoftcap is float cap ? Math.Tanh(s / cap) * cap : s;
            }).ToArray();
            double max = scores.Max();
            var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
            double sum = weights.Sum();
            for (int i = 0; i < visible.Length; i++)
            {
                for (int d = 0; d < hd; d++)
                {
                    output[(h * hd) + d] += weights[i] / sum * v[visible[i]][kvOffset + d];
                }
            }
        }

        return output;
    }

    /// <summary>Gemma 3's sliding layers rotate with the local base and no scaling; every other layer with the global RoPE.</summary>
    private RopeSpec RopeOf(int layer) =>
        _c.Family == ModelFamily.Gemma3 && _c.SlidingWindowOf(layer) is not null
            ? new RopeSpec(_c.LocalRope!.Theta)
            : new RopeSpec(_c.RopeTheta, _c.RopeScaling);

    private double[] InverseFrequencies(RopeSpec rope)
    {
        int hd = _c.HeadDim;
        return [.. Enumerable.Range(0, hd / 2).Select(i =>
        {
            double inverse = Math.Pow(rope.Theta, -2.0 * i / hd);
            if (rope.Scaling is not { } s)
            {
                return inverse;
            }

            if (s.Kind == RopeScalingKind.Linear)
            {
                return inverse / s.Factor;
            }

            // Llama 3.1: keep short wavelengths, divide long ones, interpolate in between.
            double wavelength = 2 * Math.PI / inverse;
            if (wavelength < s.OriginalMaxPositionEmbeddings / (double)s.HighFreqFactor)
            {
                return inverse;
            }

            if (wavelength > s.OriginalMaxPositionEmbeddings / (double)s.LowFreqFactor)
            {
                return inverse / s.Factor;
            }

            double smooth = ((s.OriginalMaxPositionEmbeddings / wavelength) - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
            return ((1 - smooth) * inverse / s.Factor) + (smooth * inverse);
        })];
    }

    private double[] Rope(double[] heads, int position, double[] inverseFrequencies)
    {
        int hd = _c.HeadDim;
        int half = hd / 2;
        var result = new double[heads.Length];
        for (int start = 0; start < heads.Length; start += hd)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = position * inverseFrequencies[i];
                double x1 = heads[start + i];
                double x2 = heads[start + i + half];
                result[start + i] = (x1 * Math.Cos(angle)) - (x2 * Math.Sin(angle));
                result[start + i + half] = (x2 * Math.Cos(angle)) + (x1 * Math.Sin(angle));
            }
        }

        return result;
    }

    /// <summary>RMSNorm; Gemma's gain is (1 + w).</summary>
    private double[] Norm(double[] x, double[] weight)
    {
        double meanSquare = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(meanSquare + _c.RmsNormEps);
        return [.. x.Select((v, i) => v * scale * (_gemma ? 1 + weight[i] : weight[i]))];
    }

    private double[] HeadNorm(double[] heads, double[]? weight) =>
        weight is null ? heads : [.. heads.Chunk(_c.HeadDim).SelectMany(head => Norm(head, weight))];

    private double Activation(double g) => _gemma
        ? 0.5 * g * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (g + (0.044715 * g * g * g))))
        : g / (1 + Math.Exp(-g));

    private double SoftcapLogit(double logit) =>
        _c.FinalLogitSoftcap is float cap ? Math.Tanh(logit / cap) * cap : logit;

    /// <summary>sqrt(hidden) as Gemma's normalizer tensor holds it in the weight dtype (8 or 11 significant bits).</summary>
    private static double RoundToDType(double value, TensorDType dtype) => dtype switch
    {
        TensorDType.BF16 => Math.ScaleB(Math.Round(Math.ScaleB(value, 7 - Math.ILogB(value)), MidpointRounding.ToEven), Math.ILogB(value) - 7),
        TensorDType.F16 => (double)(Half)value,
        _ => (float)value,
    };

    private static double[] Linear(double[][] rows, double[]? bias, double[] x)
    {
        var y = MatVec(rows, x);
        if (bias is not null)
        {
            Accumulate(y, bias);
        }

        return y;
    }

    private static double[] MatVec(double[][] rows, double[] x) =>
        [.. rows.Select(row => row.Select((w, i) => w * x[i]).Sum())];

    private static void Accumulate(double[] target, double[] delta)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += delta[i];
        }
    }

    private static double[] Vector(WeightStore store, string name) => [.. store.Get(name).ToSingleArray().Select(v => (double)v)];

    private static double[]? OptionalVector(WeightStore store, string name) => store.Contains(name) ? Vector(store, name) : null;

    private static double[][] Rows(TensorView view)
    {
        int rows = view.Shape[0];
        var buffer = new float[view.RowLength];
        var result = new double[rows][];
        for (int r = 0; r < rows; r++)
        {
            view.ReadRow(r, buffer);
            result[r] = [.. buffer.Select(v => (double)v)];
        }

        return result;
    }

    private sealed record Layer(
        double[][] Q, double[][] K, double[][] V, double[][] O,
        double[]? QBias, double[]? KBias, double[]? VBias, double[]? OBias, double[]? QNorm, double[]? KNorm,
        double[][] Gate, double[][] Up, double[][] Down,
        double[] InputNorm, double[] PostAttentionNorm, double[]? PreFeedforwardNorm, double[]? PostFeedforwardNorm);
}
