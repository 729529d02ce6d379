using System.Diagnostics;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Training.Autodiff;

namespace Shrink.Bench.Training;

/// <summary>
/// One Conv layer's training step (Conv + bias, ReLU, MSE to zeros; gradients of the input, weight and bias) with each
/// <see cref="ConvWeightGradient"/> form, at resnet8's layer shapes, batch 64, one thread; the forms take turns.
/// </summary>
internal static class ConvLayerBenchmark
{
    /// <summary>A conv layer: label, input channels, output channels, kernel, stride, input size, whether the input needs a gradient.</summary>
    public sealed record Layer(string Label, int C, int M, int K, int Stride, int Size, bool InputGradient);

    public sealed record Row(Layer Layer, ConvWeightGradient Form, double Ms);

    public static readonly Layer[] Resnet8 =
    [
        new("stem 1→16 3×3, 28×28 (no dX)", 1, 16, 3, 1, 28, false),
        new("l1.c1/c2 16→16 3×3, 28×28", 16, 16, 3, 1, 28, true),
        new("l2.c1 16→32 3×3 s2, 28→14", 16, 32, 3, 2, 28, true),
        new("l2.sc 16→32 1×1 s2, 28→14", 16, 32, 1, 2, 28, true),
        new("l2.c2 32→32 3×3, 14×14", 32, 32, 3, 1, 14, true),
        new("issue probe / l3.c1 shape: 32→64 3×3, 14×14", 32, 64, 3, 1, 14, true),
        new("l3.c1 32→64 3×3 s2, 14→7", 32, 64, 3, 2, 14, true),
        new("l3.sc 32→64 1×1 s2, 14→7", 32, 64, 1, 2, 14, true),
        new("l3.c2 64→64 3×3, 7×7", 64, 64, 3, 1, 7, true),
    ];

    public static readonly ConvWeightGradient[] Forms = [ConvWeightGradient.Auto, ConvWeightGradient.Im2ColGemm, ConvWeightGradient.Im2ColBatched, ConvWeightGradient.TransposedConv, ConvWeightGradient.Im2ColWidth];

    public static List<Row> Run(bool quick)
    {
        const int batch = 64;
        var rows = new List<Row>();
        foreach (var layer in Resnet8)
        {
            var steps = new List<OrtTrainingStep>();
            try
            {
                foreach (var form in Forms)
                {
                    ConvRule.Use(form);
                    var (model, parameters, target) = Build(layer, batch);
                    var graph = Gradients.Build(model, LossSpec.MeanSquaredError("y", "target"), parameters);
                    var arrays = new Dictionary<string, RawArray>(StringComparer.Ordinal) { ["target"] = Zeros(target) };
                    if (!layer.InputGradient) arrays["x"] = Zeros([batch, layer.C, layer.Size, layer.Size]);
                    var step = new OrtTrainingStep(graph, RawBatch.Of(arrays), SessionTuning.Default);
                    steps.Add(step);
                    step.ComputeGradients();
                }
                var times = Forms.Select(_ => new List<double>()).ToList();
                int rounds = quick ? 5 : 15;
                for (int r = 0; r < rounds; r++)
                {
                    for (int i = 0; i < steps.Count; i++)
                    {
                        for (int k = 0; k < 2; k++)
                        {
                            long t0 = Stopwatch.GetTimestamp();
                            steps[i].ComputeGradients();
                            times[i].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                        }
                    }
                }
                for (int i = 0; i < Forms.Length; i++) rows.Add(new Row(layer, Forms[i], Stats.Median(times[i])));
                Console.WriteLine($"  {layer.Label}: {string.Join(", ", Forms.Select((f, i) => $"{f} {Stats.Median(times[i]):F2} ms"))}");
            }
            finally
            {
                foreach (var s in steps) s.Dispose();
                ConvRule.Use(ConvWeightGradient.Auto);
            }
        }
        return rows;
    }

    private static RawArray Zeros(long[] dims) => new(dims, new float[dims.Aggregate(1L, (a, b) => a * b)], null);

    private static (OnnxModel Model, string[] Parameters, long[] Target) Build(Layer layer, int batch)
    {
        int pad = layer.K / 2, outSize = ((layer.Size + 2 * pad - layer.K) / layer.Stride) + 1;
        long[] xDims = [batch, layer.C, layer.Size, layer.Size], yDims = [batch, layer.M, outSize, outSize];
        var graph = new GraphProto { Name = "conv_layer" };
        var random = new Random(7);
        void Weight(string name, long[] dims, float scale)
        {
            var values = new float[dims.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2) - 1) * scale;
            var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
            t.Dims.AddRange(dims);
            graph.Initializer.Add(t);
        }
        ValueInfoProto Value(string name, long[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
        }
        Weight("w", [layer.M, layer.C, layer.K, layer.K], 0.1f);
        Weight("b", [layer.M], 0.1f);
        if (layer.InputGradient) Weight("x", xDims, 1f);
        else graph.Input.Add(Value("x", xDims));
        var conv = new NodeProto { OpType = OpTypes.Conv, Name = "conv", Input = { "x", "w", "b" }, Output = { "conv" } };
        conv.Attribute.Add(GraphBuilder.Ints("kernel_shape", layer.K, layer.K));
        conv.Attribute.Add(GraphBuilder.Ints("strides", layer.Stride, layer.Stride));
        conv.Attribute.Add(GraphBuilder.Ints("pads", pad, pad, pad, pad));
        graph.Node.Add(conv);
        graph.Node.Add(new NodeProto { OpType = OpTypes.Relu, Name = "relu", Input = { "conv" }, Output = { "y" } });
        graph.Output.Add(Value("y", yDims));
        var proto = new ModelProto { IrVersion = 8, ProducerName = "Shrink.Bench", Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        string[] parameters = layer.InputGradient ? ["x", "w", "b"] : ["w", "b"];
        return (OnnxModel.FromProto(proto, "conv_layer"), parameters, yDims);
    }
}
