using System.Runtime.InteropServices;
using Onnx;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Tests.TestSupport;
using Shrink.Training.Autodiff;
using static Shrink.Tests.Ops.Backward.BackwardTestModels;

namespace Shrink.Tests.Ops.Backward;

/// <summary>
/// Every <see cref="ConvWeightGradient"/> form of <see cref="ConvBackward"/>, emitted for one Conv node and run in ONNX
/// Runtime, gives dW = Σ_n Σ_out g[n, m, out] · X_padded[n, c, out·stride + offset·dilation], computed here directly.
/// (The catalog's rule uses <see cref="ConvWeightGradient.Auto"/>; these cover the forms it does not pick.)
/// </summary>
public sealed class ConvWeightGradientFormTests
{
    [Theory]
    [InlineData(ConvWeightGradient.Im2ColGemm)]
    [InlineData(ConvWeightGradient.Im2ColBatched)]
    [InlineData(ConvWeightGradient.TransposedConv)]
    [InlineData(ConvWeightGradient.Im2ColWidth)]
    [InlineData(ConvWeightGradient.Auto)]
    public void Each_form_gives_the_directly_summed_weight_gradient(ConvWeightGradient form)
    {
        // 3×3 stride 1; 3×2 with stride (3, 2), dilation (1, 2) and asymmetric pads (a remainder row no output reads); 1×1 stride 2.
        Check(form, [2, 3, 6, 6], [4, 3, 3, 3], [1, 1], [1, 1], [1, 1, 1, 1]);
        Check(form, [2, 3, 9, 10], [4, 3, 3, 2], [3, 2], [1, 2], [1, 0, 1, 1]);
        Check(form, [3, 4, 7, 7], [5, 4, 1, 1], [2, 2], [1, 1], [0, 0, 0, 0]);
        // 3×2 at stride 1 with dilation (2, 1) and asymmetric pads: Im2ColWidth's row shifts and width slices.
        Check(form, [2, 3, 7, 8], [4, 3, 3, 2], [1, 1], [2, 1], [2, 0, 1, 1]);
    }

    private static void Check(ConvWeightGradient form, long[] xDims, long[] wDims, long[] strides, long[] dilations, long[] pads)
    {
        long[] outDims =
        [
            xDims[0], wDims[0],
            ((xDims[2] + pads[0] + pads[2] - (dilations[0] * (wDims[2] - 1)) - 1) / strides[0]) + 1,
            ((xDims[3] + pads[1] + pads[3] - (dilations[1] * (wDims[3] - 1)) - 1) / strides[1]) + 1,
        ];
        var graph = new GraphProto { Name = "conv" };
        graph.Input.Add(TinyModels.FloatInfo("x", [.. xDims.Cast<object>()]));
        graph.Input.Add(TinyModels.FloatInfo("w", [.. wDims.Cast<object>()]));
        graph.Input.Add(TinyModels.FloatInfo("g", [.. outDims.Cast<object>()]));
        var conv = TinyModels.Node("Conv", ["x", "w"], ["y"], "conv");
        conv.Attribute.Add(Ints("kernel_shape", wDims[2], wDims[3]));
        conv.Attribute.Add(Ints("strides", strides));
        conv.Attribute.Add(Ints("dilations", dilations));
        conv.Attribute.Add(Ints("pads", pads));
        graph.Node.Add(conv);
        graph.Output.Add(TinyModels.FloatInfo("y"));
        var model = OnnxModel.FromProto(TinyModels.BuildModel(graph, opset: 16, irVersion: 8), "conv");
        var node = model.Graph.Nodes[0];
        var emitter = new GraphEmitter(new ModelGraphWriter(model.Graph, 16), "grad");
        var context = new BackwardContext(new ForwardNode(model.Graph, node), ["g"], k => k == 1, _ => 4, emitter);
        string dw = new ConvBackward(form).Emit(context)[1] ?? throw new InvalidOperationException("no weight gradient");
        model.Graph.ClearGraphOutputs();
        model.Graph.AddGraphOutput(new ValueInfo(dw, ElementType.Float, null));
        model.Graph.SyncToProto();

        float[] x = TinyModels.RandomFloats((int)xDims.Aggregate(1L, (a, b) => a * b), 5);
        float[] w = TinyModels.RandomFloats((int)wDims.Aggregate(1L, (a, b) => a * b), 6);
        float[] g = TinyModels.RandomFloats((int)outDims.Aggregate(1L, (a, b) => a * b), 7);
        var outputs = OrtRunner.RunOnce(model.ToByteArray(), new Dictionary<string, TensorProto>
        {
            ["x"] = TinyModels.FloatTensor("x", xDims, x),
            ["w"] = TinyModels.FloatTensor("w", wDims, w),
            ["g"] = TinyModels.FloatTensor("g", outDims, g),
        });
        float[] actual = MemoryMarshal.Cast<byte, float>(outputs[0].Bytes).ToArray();
        Assert.Equal(wDims, outputs[0].Shape);

        long n = xDims[0], c = xDims[1], h = xDims[2], wd = xDims[3], m = wDims[0], kh = wDims[2], kw = wDims[3], oh = outDims[2], ow = outDims[3];
        for (long mi = 0; mi < m; mi++)
            for (long ci = 0; ci < c; ci++)
                for (long i = 0; i < kh; i++)
                    for (long j = 0; j < kw; j++)
                    {
                        double sum = 0;
                        for (long ni = 0; ni < n; ni++)
                            for (long p = 0; p < oh; p++)
                                for (long q = 0; q < ow; q++)
                                {
                                    long row = (p * strides[0]) + (i * dilations[0]) - pads[0], col = (q * strides[1]) + (j * dilations[1]) - pads[1];
                                    if (row < 0 || row >= h || col < 0 || col >= wd) continue;
                                    sum += g[(((ni * m) + mi) * oh + p) * ow + q] * (double)x[(((ni * c) + ci) * h + row) * wd + col];
                                }
                        float got = actual[(((mi * c) + ci) * kh + i) * kw + j];
                        Assert.True(Math.Abs(got - sum) <= 1e-4 * (1 + Math.Abs(sum)), $"{form}: dW[{mi},{ci},{i},{j}] = {got}, expected {sum:G6}");
                    }
    }
}
