using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Training.Autodiff;

namespace Shrink.Tests.Training.Autodiff;

/// <summary>
/// Checks a training graph's gradients against central finite differences of its own loss output, both run in ONNX
/// Runtime (float32, eps 1e-3). An entry passes when |analytic − numeric| ≤ 1e-2·max(|analytic|, |numeric|) plus a
/// floor: 1e-3 of the parameter's largest gradient (entries far below it are dominated by float rounding of the loss)
/// and the loss's own rounding noise over 2·eps.
/// </summary>
internal static class GradientCheck
{
    public const double Eps = 1e-3;
    public const double Tolerance = 1e-2;

    /// <summary>A graph of one node reading float initializers <paramref name="floats"/> (the parameters) and <paramref name="constants"/>.</summary>
    public static ModelProto SingleOp(string opType, (string Name, long[] Dims)[] floats, TensorProto[]? constants = null, AttributeProto[]? attributes = null,
        int outputs = 1, long opset = 13, int seed = 3, Func<float, float>? valueMap = null, string[]? inputOrder = null)
    {
        var graph = new GraphProto { Name = "op" };
        int k = 0;
        foreach (var (name, dims) in floats)
        {
            var values = TinyModels.RandomFloats((int)dims.Aggregate(1L, (a, b) => a * b), seed + 17 * k++);
            if (valueMap is not null) values = values.Select(valueMap).ToArray();
            graph.Initializer.Add(TinyModels.FloatTensor(name, dims, values));
        }
        foreach (var c in constants ?? []) graph.Initializer.Add(c);
        var names = inputOrder ?? floats.Select(f => f.Name).Concat((constants ?? []).Select(c => c.Name)).ToArray();
        var outs = Enumerable.Range(0, outputs).Select(i => $"y{i}").ToArray();
        var node = TinyModels.Node(opType, names, outs, "op");
        node.Attribute.AddRange(attributes ?? []);
        graph.Node.Add(node);
        graph.Output.Add(new ValueInfoProto { Name = "y0", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TinyModels.Float } } });
        return TinyModels.BuildModel(graph, opset);
    }

    /// <summary>Checks every float initializer of a one-op model (except those named const…) with the weighted-sum loss on its first output.</summary>
    public static void Check(ModelProto model, int samples = 12)
    {
        var parameters = model.Graph.Initializer.Where(t => t.DataType == TinyModels.Float && !t.Name.StartsWith("const", StringComparison.Ordinal)).Select(t => t.Name).ToArray();
        Check(model, parameters, new Dictionary<string, TensorProto>(), null, samples);
    }

    /// <summary>
    /// Builds the training graph (weighted-sum loss on the first output when <paramref name="loss"/> is null), runs it,
    /// and compares each parameter's gradient to finite differences at up to <paramref name="samples"/> entries (always
    /// including the largest). Returns the largest relative error seen.
    /// </summary>
    /// <remarks>
    /// Whole networks pass <paramref name="largest"/> and a <paramref name="floorFraction"/> of 1e-2: a perturbation of one
    /// weight moves thousands of ReLU/MaxPool inputs, some across their kinks, which puts an error of about 1 % of the
    /// largest gradient into the finite difference itself; the largest entries are then checked to 1 %.
    /// </remarks>
    public static double Check(ModelProto model, IReadOnlyList<string> parameters, IReadOnlyDictionary<string, TensorProto> inputs, LossSpec? loss, int samples = 12, int seed = 11,
        bool largest = false, double floorFraction = 1e-3)
    {
        var onnx = OnnxModel.FromProto(model.Clone(), "check");
        if (loss is null)
        {
            var forward = OrtRunner.RunOnce(TinyModels.Bytes(model), inputs);
            loss = new WeightedSumLoss(model.Graph.Output[0].Name, forward[0].Shape, seed);
        }
        var training = Gradients.Build(onnx, loss, parameters);
        var feeds = new Dictionary<string, TensorProto>(inputs, StringComparer.Ordinal);
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            values[p] = training.InitialValues[p].ToFloatArray();
            feeds[p] = training.InitialValues[p].Proto;
        }
        using var session = OrtRunner.Open(training.Model.ToByteArray());
        var outputs = OrtRunner.Run(session, feeds);
        Assert.Equal(training.Loss, outputs[0].Name);
        double lossValue = Floats(outputs[0])[0];
        Assert.True(double.IsFinite(lossValue), $"loss {lossValue}");
        double worst = 0;
        var random = new Random(seed);
        for (int pi = 0; pi < parameters.Count; pi++)
        {
            string p = parameters[pi];
            var analytic = Floats(outputs[1 + pi]);
            Assert.Equal(TrainingGraph.GradientName(p), outputs[1 + pi].Name);
            Assert.Equal(values[p].Length, analytic.Length);
            double largestGradient = analytic.Max(v => Math.Abs((double)v));
            var entries = new SortedSet<int> { Array.IndexOf(analytic, analytic.MaxBy(v => Math.Abs(v))) };
            if (largest)
                foreach (int i in Enumerable.Range(0, analytic.Length).OrderByDescending(i => Math.Abs(analytic[i])).Take(samples)) entries.Add(i);
            while (entries.Count < Math.Min(samples, analytic.Length)) entries.Add(random.Next(analytic.Length));
            foreach (int i in entries)
            {
                double numeric = (LossAt(session, feeds, p, values[p], i, +Eps) - LossAt(session, feeds, p, values[p], i, -Eps)) / (2 * Eps);
                double a = analytic[i];
                double floor = floorFraction * largestGradient + 4 * Math.Abs(lossValue) * 6e-8 / Eps + 1e-6;
                double error = Math.Abs(a - numeric);
                double relative = error / Math.Max(Math.Max(Math.Abs(a), Math.Abs(numeric)), floor / Tolerance);
                worst = Math.Max(worst, relative);
                Assert.True(error <= Tolerance * Math.Max(Math.Abs(a), Math.Abs(numeric)) + floor,
                    $"d loss / d {p}[{i}]: analytic {a:G6}, finite difference {numeric:G6} (largest |gradient| {largestGradient:G4})");
            }
        }
        return worst;
    }

    private static double LossAt(InferenceSession session, Dictionary<string, TensorProto> feeds, string parameter, float[] values, int index, double delta)
    {
        var copy = (float[])values.Clone();
        copy[index] = (float)(copy[index] + delta);
        var original = feeds[parameter];
        feeds[parameter] = TinyModels.FloatTensor(parameter, [.. original.Dims], copy);
        try
        {
            return Floats(OrtRunner.Run(session, feeds)[0])[0];
        }
        finally
        {
            feeds[parameter] = original;
        }
    }

    public static float[] Floats(OutputTensor t) => MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray();
}
