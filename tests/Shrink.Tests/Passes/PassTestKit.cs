using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Passes;

/// <summary>
/// Builds small models for the pass tests and runs them in ONNX Runtime before and after a pass, comparing every
/// output: floating outputs within a relative tolerance of the output's largest magnitude, other types exactly.
/// </summary>
internal static class PassTestKit
{
    /// <summary>A node with attributes.</summary>
    public static NodeProto Node(string opType, string[] inputs, string[] outputs, string name, params AttributeProto[] attributes)
    {
        var node = TinyModels.Node(opType, inputs, outputs, name);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>A model around a graph, at the given default-domain opset.</summary>
    public static OnnxModel BuildModel(GraphProto graph, long opset) => OnnxModel.FromProto(TinyModels.BuildModel(graph, opset));

    public static AttributeProto Ints(string name, params long[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    public static AttributeProto Floats(string name, params float[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Floats, Floats = { values } };

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto GraphAttribute(string name, GraphProto graph) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph };

    public static TensorProto Int64Tensor(string name, long[] dims, params long[] values) =>
        TinyModels.RawTensor(name, TinyModels.Int64, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>A random float input (values in [-1, 1) scaled by <paramref name="scale"/>).</summary>
    public static TensorProto RandomInput(string name, long[] shape, int seed = 3, float scale = 1f)
    {
        int n = (int)shape.Aggregate(1L, (a, b) => a * b);
        var values = TinyModels.RandomFloats(n, seed).Select(v => v * scale).ToArray();
        return TinyModels.FloatTensor(name, shape, values);
    }

    /// <summary>Every output of the model (ONNX Runtime, one thread) for the given inputs.</summary>
    public static IReadOnlyList<OutputTensor> Run(OnnxModel model, params TensorProto[] inputs) =>
        OrtRunner.RunOnce(model.ToByteArray(), inputs.ToDictionary(t => t.Name, t => t));

    /// <summary>
    /// Runs <paramref name="pass"/> on <paramref name="model"/> and asserts that every output is unchanged on
    /// <paramref name="inputs"/>; returns the pass result.
    /// </summary>
    public static GraphPassResult ApplyAndCompare(IGraphPass pass, OnnxModel model, double rtol, params TensorProto[] inputs)
    {
        var before = Run(model, inputs);
        var result = pass.Apply(model);
        var after = Run(model, inputs);
        AssertSameOutputs(before, after, rtol);
        return result;
    }

    /// <summary>
    /// Same names, types and shapes; floating values within <c>rtol·max(|e|, max|E|)</c> (relative to the output's
    /// scale, since sums that cancel to near zero carry the rounding of their largest terms); other types exactly.
    /// </summary>
    public static void AssertSameOutputs(IReadOnlyList<OutputTensor> expected, IReadOnlyList<OutputTensor> actual, double rtol = 1e-5)
    {
        Assert.Equal(expected.Select(o => o.Name), actual.Select(o => o.Name));
        for (int k = 0; k < expected.Count; k++)
        {
            var (e, a) = (expected[k], actual[k]);
            Assert.Equal(e.ElementType, a.ElementType);
            Assert.Equal(e.Shape, a.Shape);
            if (e.ElementType != TinyModels.Float)
            {
                Assert.True(e.Bytes.AsSpan().SequenceEqual(a.Bytes), $"output '{e.Name}' differs");
                continue;
            }
            var ev = MemoryMarshal.Cast<byte, float>(e.Bytes).ToArray();
            var av = MemoryMarshal.Cast<byte, float>(a.Bytes).ToArray();
            double scale = ev.Length == 0 ? 0 : ev.Max(v => Math.Abs((double)v));
            for (int i = 0; i < ev.Length; i++)
            {
                double tolerance = rtol * Math.Max(Math.Abs((double)ev[i]), scale);
                Assert.True(Math.Abs((double)ev[i] - av[i]) <= tolerance, $"output '{e.Name}'[{i}]: expected {ev[i]}, got {av[i]} (tolerance {tolerance:g3})");
            }
        }
    }
}
