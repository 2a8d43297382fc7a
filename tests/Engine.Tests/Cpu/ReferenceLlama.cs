using LlmQueue.Engine.Models;
using LlmQueue.Engine.Weights;

namespace LlmQueue.Engine.Tests.Cpu;

/// <summary>
/// Naive fp64 Llama forward (dense, contiguous, causal) written from the model definition, used as
/// the independent reference for the CPU runner. Returns logits for every position.
/// </summary>
internal sealed class ReferenceLlama
{
    private readonly ModelConfig _c;
    private readonly double[][] _embedding;
    private readonly Layer[] _layers;
    private readonly double[] _finalNorm;
    private readonly double[][] _lmHead;

    public ReferenceLlama(LlamaModel model)
    {
        _c = model.Config;
        var w = model.Weights;
        _embedding = Rows(w.Embedding);
        _lmHead = Rows(w.LmHead);
        _finalNorm = [.. w.FinalNorm.Select(v => (double)v)];
        _layers = [.. w.Layers.Select(l => new Layer(
            Rows(l.QProj), Rows(l.KProj), Rows(l.VProj), Rows(l.OProj), Rows(l.GateProj), Rows(l.UpProj), Rows(l.DownProj),
            [.. l.InputNorm.Select(v => (double)v)], [.. l.PostAttentionNorm.Select(v => (double)v)]))];
    }

    public double[][] Forward(IReadOnlyList<int> tokens)
    {
        int n = tokens.Count;
        var x = tokens.Select(t => (double[])_embedding[t].Clone()).ToArray();
        foreach (var layer in _layers)
        {
            var normed = x.Select(row => Norm(row, layer.InputNorm)).ToArray();
            var q = normed.Select((row, p) => Rope(MatVec(layer.Q, row), p)).ToArray();
            var k = normed.Select((row, p) => Rope(MatVec(layer.K, row), p)).ToArray();
            var v = normed.Select(row => MatVec(layer.V, row)).ToArray();
            for (int p = 0; p < n; p++)
            {
                var attended = Attend(q, k, v, p);
                Accumulate(x[p], MatVec(layer.O, attended));
            }

            for (int p = 0; p < n; p++)
            {
                var h = Norm(x[p], layer.PostNorm);
                var gate = MatVec(layer.Gate, h);
                var up = MatVec(layer.Up, h);
                var act = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                Accumulate(x[p], MatVec(layer.Down, act));
            }
        }

        return x.Select(row => MatVec(_lmHead, Norm(row, _finalNorm))).ToArray();
    }

    private double[] Attend(double[][] q, double[][] k, double[][] v, int p)
    {
        int hd = _c.HeadDim;
        int group = _c.NumHeads / _c.NumKvHeads;
        var output = new double[_c.NumHeads * hd];
        for (int h = 0; h < _c.NumHeads; h++)
        {
            int kvOffset = h / group * hd;
            var scores = new double[p + 1];
            for (int j = 0; j <= p; j++)
            {
                double dot = 0;
                for (int d = 0; d < hd; d++)
                {
                    dot += q[p][(h * hd) + d] * k[j][kvOffset + d];
                }

                scores[j] = dot / Math.Sqrt(hd);
            }

            double max = scores.Max();
            var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
            double sum = weights.Sum();
            for (int j = 0; j <= p; j++)
            {
                for (int d = 0; d < hd; d++)
                {
                    output[(h * hd) + d] += weights[j] / sum * v[j][kvOffset + d];
                }
            }
        }

        return output;
    }

    private double[] Rope(double[] heads, int position)
    {
        int hd = _c.HeadDim;
        int half = hd / 2;
        var result = new double[heads.Length];
        for (int start = 0; start < heads.Length; start += hd)
        {
            for (int i = 0; i < half; i++)
            {
                double angle = position * Math.Pow(_c.RopeTheta, -2.0 * i / hd);
                double x1 = heads[start + i];
                double x2 = heads[start + i + half];
                result[start + i] = (x1 * Math.Cos(angle)) - (x2 * Math.Sin(angle));
                result[start + i + half] = (x2 * Math.Cos(angle)) + (x1 * Math.Sin(angle));
            }
        }

        return result;
    }

    private double[] Norm(double[] x, double[] weight)
    {
        double meanSquare = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(meanSquare + _c.RmsNormEps);
        return x.Select((v, i) => v * scale * weight[i]).ToArray();
    }

    private static double[] MatVec(double[][] rows, double[] x) =>
        rows.Select(row => row.Select((w, i) => w * x[i]).Sum()).ToArray();

    private static void Accumulate(double[] target, double[] delta)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += delta[i];
        }
    }

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
        double[][] Q, double[][] K, double[][] V, double[][] O, double[][] Gate, double[][] Up, double[][] Down,
        double[] InputNorm, double[] PostNorm);
}
