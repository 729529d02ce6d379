using Shrink.Data;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.MixedPrecision;

/// <summary>A softmax-regression model built in code (Gemm + Softmax) with data whose loss Hessian is known in closed form.</summary>
internal sealed class SoftmaxRegression
{
    /// <summary>
    /// <paramref name="head"/>: <c>softmax</c> (probabilities over the classes), <c>sigmoid</c> (one probability per
    /// sample, with one class) or <c>neg-square</c> (the logit −z², with one class: concave near z = 0).
    /// </summary>
    public SoftmaxRegression(int features = 16, int classes = 5, int samples = 64, int seed = 3, string head = "softmax", float weightScale = 1, int? label = null)
    {
        Features = features;
        Classes = classes;
        Weight = TinyModels.RandomFloats(classes * features, seed).Select(w => w * weightScale).ToArray();
        Bias = head == "neg-square" ? new float[classes] : TinyModels.RandomFloats(classes, seed + 1);
        Inputs = TinyModels.RandomFloats(samples * features, seed + 2);
        var rng = new Random(seed + 3);
        Labels = Enumerable.Range(0, samples).Select(_ => label ?? rng.Next(Math.Max(classes, 2))).ToArray();
        var graph = new global::Onnx.GraphProto { Name = "softmax_regression" };
        graph.Input.Add(TinyModels.FloatInfo("x", "batch", features));
        graph.Output.Add(TinyModels.FloatInfo("p", "batch", classes));
        graph.Initializer.Add(TinyModels.FloatTensor("W", [classes, features], Weight));
        graph.Initializer.Add(TinyModels.FloatTensor("b", [classes], Bias));
        var gemm = TinyModels.Node("Gemm", ["x", "W", "b"], ["z"], "fc");
        gemm.Attribute.Add(new global::Onnx.AttributeProto { Name = "transB", Type = global::Onnx.AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(gemm);
        if (head == "sigmoid")
        {
            graph.Node.Add(TinyModels.Node("Sigmoid", ["z"], ["p"], "sigmoid"));
        }
        else if (head == "neg-square")
        {
            graph.Node.Add(TinyModels.Node("Mul", ["z", "z"], ["z2"], "square"));
            graph.Node.Add(TinyModels.Node("Neg", ["z2"], ["p"], "neg"));
        }
        else
        {
            var softmax = TinyModels.Node("Softmax", ["z"], ["p"], "softmax");
            softmax.Attribute.Add(new global::Onnx.AttributeProto { Name = "axis", Type = global::Onnx.AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Node.Add(softmax);
        }
        Model = OnnxModel.FromProto(TinyModels.BuildModel(graph), "softmax_regression");
    }

    public int Features { get; }

    public int Classes { get; }

    public float[] Weight { get; }

    public float[] Bias { get; }

    public float[] Inputs { get; }

    public int[] Labels { get; }

    public OnnxModel Model { get; }

    public int Samples => Labels.Length;

    /// <summary>tr H of the mean cross-entropy (and of the Fisher) w.r.t. W: (1/N) Σₙ Σₖ pₖ(1−pₖ)‖xₙ‖².</summary>
    public double AnalyticTrace()
    {
        double total = 0;
        for (int n = 0; n < Samples; n++)
        {
            var x = Inputs.AsSpan(n * Features, Features);
            var z = new double[Classes];
            for (int k = 0; k < Classes; k++)
            {
                z[k] = Bias[k];
                for (int d = 0; d < Features; d++) z[k] += (double)Weight[k * Features + d] * x[d];
            }
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            double norm = 0;
            foreach (float v in x) norm += (double)v * v;
            for (int k = 0; k < Classes; k++)
            {
                double p = Math.Exp(z[k] - max) / sum;
                total += p * (1 - p) * norm;
            }
        }
        return total / Samples;
    }

    public Func<IReadOnlyList<ModelInputSpec>, IDataSource> Open(bool withLabels) => _ => new ListSource(this, withLabels);

    private sealed class ListSource(SoftmaxRegression owner, bool withLabels) : IDataSource
    {
        public string Description => "softmax regression samples";

        public long? Count => owner.Samples;

        public bool HasLabels => withLabels;

        public IEnumerable<DataBatch> ReadBatches(int batchSize, long? limit = null)
        {
            long end = Math.Min(owner.Samples, limit ?? long.MaxValue);
            for (int start = 0; start < end; start += batchSize)
            {
                int count = (int)Math.Min(batchSize, end - start);
                var x = owner.Inputs.AsSpan(start * owner.Features, count * owner.Features).ToArray();
                yield return new DataBatch([new BatchTensor("x", ElementType.Float, [count, owner.Features], x)], count, withLabels ? owner.Labels[start..(start + count)] : null);
            }
        }

        public void Dispose()
        {
        }
    }
}
