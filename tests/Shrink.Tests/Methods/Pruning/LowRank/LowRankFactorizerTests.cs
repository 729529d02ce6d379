using Onnx;
using Shrink.Data;
using Shrink.Methods.Pruning.LowRank;
using Shrink.Model;
using Shrink.Tests.Methods.Quantization.WeightOnly;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Methods.Pruning.LowRank;

public sealed class LowRankFactorizerTests
{
    // A [rows × cols] matrix of rank `rank`: a product of random factors.
    private static float[] LowRank(int rows, int cols, int rank, int seed)
    {
        var a = RandomFloats(rows * rank, seed);
        var b = RandomFloats(rank * cols, seed + 1);
        var m = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                for (int k = 0; k < rank; k++) m[r * cols + c] += a[r * rank + k] * b[k * cols + c];
        return m;
    }

    // input [batch, 32] → MatMul [32, 48] → Relu → Gemm(transB) W [40, 48] + bias → Relu → Gemm W [40, 24] + bias → output;
    // every weight of rank 3 (stored layouts: [K, N], [N, K], [K, N]).
    private static OnnxModel Dense()
    {
        var graph = new GraphProto { Name = "dense" };
        graph.Input.Add(FloatInfo("input", "batch", 32));
        graph.Output.Add(FloatInfo("output", "batch", 24));
        graph.Initializer.Add(FloatTensor("W0", [32, 48], LowRank(32, 48, 3, 1)));
        graph.Initializer.Add(FloatTensor("W1", [40, 48], LowRank(40, 48, 3, 3)));
        graph.Initializer.Add(FloatTensor("B1", [40], RandomFloats(40, 5)));
        graph.Initializer.Add(FloatTensor("W2", [40, 24], LowRank(40, 24, 3, 6)));
        graph.Initializer.Add(FloatTensor("B2", [24], RandomFloats(24, 8)));
        graph.Node.Add(Node("MatMul", ["input", "W0"], ["h0"], "matmul"));
        graph.Node.Add(Node("Relu", ["h0"], ["a0"], "relu0"));
        var g1 = Node("Gemm", ["a0", "W1", "B1"], ["h1"], "gemm_t");
        g1.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(g1);
        graph.Node.Add(Node("Relu", ["h1"], ["a1"], "relu1"));
        var g2 = Node("Gemm", ["a1", "W2", "B2"], ["output"], "gemm_n");
        g2.Attribute.Add(new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Float, F = 0.5f });
        graph.Node.Add(g2);
        return OnnxModel.FromProto(BuildModel(graph), "dense");
    }

    // input [batch, 16, 5, 5] → 1×1 Conv (stride 2, pads 1) 16→24, rank 2, with bias → output
    private static OnnxModel PointwiseConv()
    {
        var graph = new GraphProto { Name = "pw" };
        graph.Input.Add(FloatInfo("input", "batch", 16, 5, 5));
        graph.Output.Add(FloatInfo("output", "batch", 24, 4, 4));
        graph.Initializer.Add(FloatTensor("W", [24, 16, 1, 1], LowRank(24, 16, 2, 11)));
        graph.Initializer.Add(FloatTensor("B", [24], RandomFloats(24, 12)));
        var conv = Node("Conv", ["input", "W", "B"], ["output"], "conv");
        conv.Attribute.Add(new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 2, 2 } });
        conv.Attribute.Add(new AttributeProto { Name = "pads", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1, 1, 1 } });
        graph.Node.Add(conv);
        return OnnxModel.FromProto(BuildModel(graph), "pw");
    }

    private static Func<IReadOnlyList<ModelInputSpec>, IDataSource> Random(int samples) =>
        inputs => DataSourceFactory.Open($"random:{samples}", new DataOptions { Seed = 4 }, inputs);

    private static double RelativeError(float[] a, float[] b) => a.Zip(b).Sum(p => Math.Pow(p.First - p.Second, 2)) / b.Sum(v => (double)v * v);

    [Fact]
    public void Factoring_at_the_weights_full_rank_reproduces_the_outputs()
    {
        var model = Dense();
        var before = model.ToByteArray();
        var result = new LowRankFactorizer(new LowRankOptions { Energy = 0.999999 }).Factorize(model, Random(64));
        Assert.Equal(before, model.ToByteArray());
        Assert.All(result.Layers, l => Assert.Equal(3, l.Rank));
        Assert.Equal(6, result.Model.Graph.Nodes.Count(n => n.OpType is "MatMul" or "Gemm"));
        Assert.All(result.Layers, l => Assert.InRange(l.OutputError!.Value, 0, 1e-8));
        Assert.True(result.ParametersAfter < result.ParametersBefore);
        Assert.True(RelativeError(WeightOnlyExporterTests.Run(result.Model, [8, 32]), WeightOnlyExporterTests.Run(model, [8, 32])) < 1e-9);
    }

    [Fact]
    public void A_pointwise_conv_becomes_two_and_keeps_strides_pads_and_bias()
    {
        var model = PointwiseConv();
        var result = new LowRankFactorizer(new LowRankOptions { Energy = 1.0 }).Factorize(model, null);
        Assert.Equal(2, result.Layers.Single().Rank);
        Assert.Equal(2, result.Model.Graph.Nodes.Count(n => n.OpType == "Conv"));
        Assert.True(RelativeError(WeightOnlyExporterTests.Run(result.Model, [2, 16, 5, 5]), WeightOnlyExporterTests.Run(model, [2, 16, 5, 5])) < 1e-9);
    }

    [Fact]
    public void Ratio_is_a_budget_over_the_candidate_layers_weights()
    {
        // Weights 32×48 + 40×48 + 40×24 = 4,416 parameters, every one of rank 3: rank 3 everywhere (696) is exact, and
        // the budget buys nothing beyond it.
        var model = Dense();
        var result = new LowRankFactorizer(new LowRankOptions { Ratio = 0.25 }).Factorize(model, null);
        Assert.Equal(4416, result.CandidateParametersBefore);
        Assert.Equal(1104, result.ParameterBudget);
        Assert.All(result.Layers, l => Assert.Equal(3, l.Rank));
        Assert.Equal(696, result.CandidateParametersAfter);
        Assert.Equal(result.Layers.Sum(l => l.ParametersAfter), result.CandidateParametersAfter);
        Assert.True(RelativeError(WeightOnlyExporterTests.Run(result.Model, [8, 32]), WeightOnlyExporterTests.Run(model, [8, 32])) < 1e-9);

        // 5 % of 4,416 is 220, below rank 1 everywhere (80 + 88 + 64): refused with both figures.
        var e = Assert.Throws<ShrinkException>(() => new LowRankFactorizer(new LowRankOptions { Ratio = 0.05 }).Factorize(Dense(), null));
        Assert.Contains("220", e.Message);
        Assert.Contains("232", e.Message);
        var tight = new LowRankFactorizer(new LowRankOptions { Ratio = 0.06 }).Factorize(Dense(), null);
        Assert.All(tight.Layers, l => Assert.Equal(1, l.Rank));
    }

    [Fact]
    public void Under_a_budget_a_small_full_rank_head_stays_whole_and_the_large_layer_pays()
    {
        // input [batch, 64] → MatMul [64, 96] (rank 4 plus a little noise) → Relu → MatMul [96, 6] (full rank) → output.
        // Half of the 6,144 + 576 weights: the head whole (576) leaves rank 17 for the body (160 per rank); a per-layer
        // half would have cut the head to rank 2 of 6.
        var graph = new GraphProto { Name = "head" };
        graph.Input.Add(FloatInfo("input", "batch", 64));
        graph.Output.Add(FloatInfo("output", "batch", 6));
        graph.Initializer.Add(FloatTensor("W0", [64, 96], LowRank(64, 96, 4, 21).Zip(RandomFloats(64 * 96, 22), (a, b) => a + 0.01f * b).ToArray()));
        graph.Initializer.Add(FloatTensor("W1", [96, 6], RandomFloats(96 * 6, 23)));
        graph.Node.Add(Node("MatMul", ["input", "W0"], ["h0"], "body"));
        graph.Node.Add(Node("Relu", ["h0"], ["a0"], "relu"));
        graph.Node.Add(Node("MatMul", ["a0", "W1"], ["output"], "head"));
        var model = OnnxModel.FromProto(BuildModel(graph), "head");
        var result = new LowRankFactorizer(new LowRankOptions { Ratio = 0.5, Whiten = true }).Factorize(model, Random(256));
        var head = result.Layers.Single(l => l.Name == "head");
        Assert.Null(head.Rank);
        Assert.Contains("kept whole", head.Note);
        Assert.Equal(17, result.Layers.Single(l => l.Name == "body").Rank);
        Assert.Equal(17 * 160 + 576, result.CandidateParametersAfter);
        Assert.True(result.CandidateParametersAfter <= result.ParameterBudget);
        Assert.True(RelativeError(WeightOnlyExporterTests.Run(result.Model, [8, 64]), WeightOnlyExporterTests.Run(model, [8, 64])) < 1e-3);
    }

    [Fact]
    public void Energy_picks_the_smallest_rank_that_reaches_it()
    {
        // Singular values 8, 4, 2, 1 (energies 64, 16, 4, 1 of 85).
        int n = 12, k = 20;
        var u = Orthonormal(n, 4, 1);
        var v = Orthonormal(k, 4, 2);
        double[] sigma = [8, 4, 2, 1];
        var w = new float[n * k];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < k; c++)
                for (int j = 0; j < 4; j++) w[r * k + c] += (float)(u[r, j] * sigma[j] * v[c, j]);
        var svd = TruncatedSvd.Of(w, n, k);
        Assert.Equal(8, svd.SingularValues[0], 4);
        Assert.Equal(1, svd.SingularValues[3], 4);
        Assert.Equal(1, svd.RankForEnergy(0.75));
        Assert.Equal(2, svd.RankForEnergy(0.80));
        Assert.Equal(3, svd.RankForEnergy(0.95));
        Assert.Equal(4, svd.RankForEnergy(0.99));
    }

    private static double[,] Orthonormal(int rows, int cols, int seed)
    {
        var x = RandomFloats(rows * cols, seed);
        var q = new double[rows, cols];
        for (int j = 0; j < cols; j++)
        {
            for (int r = 0; r < rows; r++) q[r, j] = x[r * cols + j];
            for (int p = 0; p < j; p++)
            {
                double dot = 0;
                for (int r = 0; r < rows; r++) dot += q[r, j] * q[r, p];
                for (int r = 0; r < rows; r++) q[r, j] -= dot * q[r, p];
            }
            double norm = Math.Sqrt(Enumerable.Range(0, rows).Sum(r => q[r, j] * q[r, j]));
            for (int r = 0; r < rows; r++) q[r, j] /= norm;
        }
        return q;
    }

    [Fact]
    public void Whitening_lowers_the_output_error_on_correlated_inputs()
    {
        // The Gemm's input comes from a rank-3 MatMul: strongly correlated. Only the Gemm (full rank) is factored.
        var graph = new GraphProto { Name = "corr" };
        graph.Input.Add(FloatInfo("input", "batch", 32));
        graph.Output.Add(FloatInfo("output", "batch", 40));
        graph.Initializer.Add(FloatTensor("W0", [32, 48], LowRank(32, 48, 3, 1).Zip(RandomFloats(32 * 48, 2), (a, b) => a + 0.05f * b).ToArray()));
        graph.Initializer.Add(FloatTensor("W1", [40, 48], RandomFloats(40 * 48, 3)));
        graph.Node.Add(Node("MatMul", ["input", "W0"], ["h0"], "mix"));
        var g = Node("Gemm", ["h0", "W1"], ["output"], "gemm");
        g.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(g);
        var model = OnnxModel.FromProto(BuildModel(graph), "corr");
        var exclude = new HashSet<string> { "mix" };
        var plain = new LowRankFactorizer(new LowRankOptions { Ratio = 0.3, ExcludeNodes = exclude }).Factorize(model, Random(128));
        var whitened = new LowRankFactorizer(new LowRankOptions { Ratio = 0.3, Whiten = true, ExcludeNodes = exclude }).Factorize(model, Random(128));
        double p = plain.Layers.Single().OutputError!.Value, w = whitened.Layers.Single().OutputError!.Value;
        Assert.True(w < p / 2, $"whitened {w:G3} vs plain {p:G3}");
        var reference = WeightOnlyExporterTests.Run(model, [8, 32]);
        Assert.True(RelativeError(WeightOnlyExporterTests.Run(whitened.Model, [8, 32]), reference) < RelativeError(WeightOnlyExporterTests.Run(plain.Model, [8, 32]), reference));
    }

    [Fact]
    public void Bad_options_and_whitening_without_data_are_refused()
    {
        Assert.Throws<OptionsException>(() => new LowRankFactorizer(new LowRankOptions()).Factorize(Dense(), null));
        Assert.Throws<OptionsException>(() => new LowRankFactorizer(new LowRankOptions { Ratio = 0.5, Energy = 0.9 }).Factorize(Dense(), null));
        ShrinkException e = Assert.Throws<OptionsException>(() => new LowRankFactorizer(new LowRankOptions { Ratio = 1.5 }).Factorize(Dense(), null));
        Assert.Contains("1.5", e.Message);
        e = Assert.Throws<ShrinkException>(() => new LowRankFactorizer(new LowRankOptions { Ratio = 0.5, Whiten = true }).Factorize(Dense(), null));
        Assert.Contains("calibration data", e.Message);
    }

    [Fact]
    public void A_rank_that_saves_nothing_leaves_the_layer_alone()
    {
        var result = new LowRankFactorizer(new LowRankOptions { Energy = 1.0 }).Factorize(Dense(), null);
        Assert.All(result.Layers, l => Assert.Equal(3, l.Rank));
        var full = new LowRankFactorizer(new LowRankOptions { Ratio = 0.999 }).Factorize(PointwiseConv(), null);
        Assert.All(full.Layers, l => Assert.True(l.Rank is null || l.Rank * (l.Rows + l.Cols) < l.Rows * l.Cols));
    }
}
