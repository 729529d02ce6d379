using Shrink.Methods.Pruning.Sparsity;
using Shrink.Tests.Methods.Quantization.WeightOnly;
using static Shrink.Tests.Methods.Pruning.Sparsity.SparsityFixtures;

namespace Shrink.Tests.Methods.Pruning.Sparsity;

public sealed class SparsityPrunerTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Layer_scope_zeroes_exactly_the_rate_in_every_layer(bool reconstruct)
    {
        var model = Mixed();
        var before = model.ToByteArray();
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.6, Scope = SparsityScope.Layer, Reconstruct = reconstruct, Samples = 64 })
            .Prune(model, Random(64));

        Assert.Equal(before, model.ToByteArray()); // the input model is untouched
        Assert.Equal(4, result.Layers.Count);
        foreach (var name in LayerNames)
        {
            var (w, rows, cols) = Matrix(result.Model, name);
            Assert.Equal((long)Math.Round(0.6 * rows * cols), w.LongCount(v => v == 0));
        }
        Assert.All(result.Layers, l => Assert.Equal(reconstruct ? "sparsegpt" : "magnitude", l.Method));
        Assert.Equal(result.Weights - (long)result.Layers.Sum(l => Math.Round(0.6 * l.Rows * l.Cols)), result.NonzeroWeightsAfter);
        // ORT runs the result with the same interface.
        Assert.Equal(8 * 12, WeightOnlyExporterTests.Run(result.Model, InputDims).Length);
    }

    [Fact]
    public void Global_magnitude_zeroes_the_smallest_weights_of_all_layers_together()
    {
        var model = Mixed();
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.7, Criterion = "magnitude" }).Prune(model, null);
        Assert.Equal("magnitude", result.Criterion);
        long total = 0, zeros = 0;
        float maxPruned = 0, minKept = float.MaxValue;
        foreach (var name in LayerNames)
        {
            var (w0, _, _) = Matrix(model, name);
            var (w, _, _) = Matrix(result.Model, name);
            total += w.Length;
            for (int i = 0; i < w.Length; i++)
            {
                if (w[i] == 0) { zeros++; maxPruned = Math.Max(maxPruned, Math.Abs(w0[i])); }
                else { minKept = Math.Min(minKept, Math.Abs(w0[i])); Assert.Equal(w0[i], w[i]); }
            }
        }
        Assert.Equal((long)Math.Round(0.7 * total), zeros);
        Assert.True(maxPruned <= minKept, $"pruned up to {maxPruned}, kept from {minKept}");
        // The 0.1-scaled Gemm loses far more than the others: the threshold is global.
        var byName = result.Layers.ToDictionary(l => l.Name);
        Assert.True(byName["gemm_t"].Sparsity > 0.7 && byName["gemm_t"].Sparsity > byName["matmul"].Sparsity + 0.1, $"{byName["gemm_t"].Sparsity} vs {byName["matmul"].Sparsity}");
        Assert.InRange(result.Sparsity, 0.6999, 0.7001);
    }

    [Fact]
    public void Without_data_a_model_without_layer_norm_is_ranked_by_noise_lamp_so_a_tiny_scaled_layer_keeps_weights()
    {
        // The conv's weights are 1e-4 of the others (as a folded BatchNormalization can leave them): raw |w| would empty it.
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.9 }).Prune(Mixed(firstLayerScale: 1e-4f), null);
        Assert.Equal("noise-lamp", result.Criterion);
        Assert.InRange(result.Sparsity, 0.8999, 0.9001);
        Assert.All(result.Layers, l => Assert.True(l.Sparsity < 0.97, $"{l.Name}: {l.Sparsity:F3}"));
    }

    [Theory]
    [InlineData("magnitude", false)]
    [InlineData("energy", false)]
    [InlineData("energy", true)]
    public void Global_scope_hits_the_rate_exactly_with_data_and_reconstruction(string criterion, bool reconstruct)
    {
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.5, Criterion = criterion, Reconstruct = reconstruct, Samples = 64 })
            .Prune(Mixed(), Random(64));
        Assert.Equal(criterion, result.Criterion);
        long total = 0, zeros = 0;
        foreach (var name in LayerNames)
        {
            var (w, _, _) = Matrix(result.Model, name);
            total += w.Length;
            zeros += w.LongCount(v => v == 0);
        }
        Assert.Equal((long)Math.Round(0.5 * total), zeros);
        Assert.All(result.Layers, l => Assert.NotNull(l.Error));
    }

    [Theory]
    [InlineData(2, 4, false)]
    [InlineData(2, 4, true)]
    [InlineData(4, 8, false)]
    [InlineData(4, 8, true)]
    public void N_of_m_holds_in_every_group_along_k_for_conv_gemm_both_ways_and_matmul(int n, int m, bool reconstruct)
    {
        var result = new SparsityPruner(new SparsityOptions { Granularity = SparsityGranularity.NOfM(n, m), Reconstruct = reconstruct, Samples = 64 })
            .Prune(Mixed(), Random(64));
        Assert.Equal($"{n}:{m}", result.Mask);
        var original = Mixed();
        foreach (var name in LayerNames)
        {
            var (w, rows, cols) = Matrix(result.Model, name);
            if (cols % m != 0)
            {
                // The conv's reduction length (4·3·3 = 36) holds no whole number of groups of 8: left dense, listed.
                Assert.Equal(Matrix(original, name).W, w);
                Assert.Contains(result.LeftDense, l => l.Name == name && l.Reason.Contains($"not a multiple of {m}", StringComparison.Ordinal));
                continue;
            }
            for (int r = 0; r < rows; r++)
            {
                for (int g = 0; g < cols; g += m)
                {
                    int len = Math.Min(m, cols - g), nonzero = 0;
                    for (int c = g; c < g + len; c++) if (w[r * cols + c] != 0) nonzero++;
                    Assert.True(nonzero <= n, $"{name} row {r} group at {g}: {nonzero} nonzeros");
                    if (len == m) Assert.Equal(n, nonzero); // exactly M − N zeros: nothing extra
                }
            }
        }
    }

    [Theory]
    [InlineData("unstructured")]
    [InlineData("2:4")]
    public void SparseGpt_has_lower_output_error_than_magnitude_at_the_same_masks_rate(string granularity)
    {
        var result = new SparsityPruner(new SparsityOptions
        {
            Sparsity = 0.6,
            Scope = SparsityScope.Layer,
            Granularity = SparsityGranularity.Parse(granularity),
            Reconstruct = true,
            Samples = 128,
        }).Prune(Mixed(), Random(128));
        Assert.All(result.Layers, l => Assert.True(l.Error < l.SelectionError, $"{l.Name}: SparseGPT {l.Error:G3} vs magnitude {l.SelectionError:G3}"));
    }

    [Theory]
    [InlineData(1, "unstructured")]
    [InlineData(2, "unstructured")]
    [InlineData(3, "2:4")]
    [InlineData(4, "4:8")]
    public void Huge_dampening_degenerates_to_magnitude_masks(int seed, string granularity)
    {
        int rows = 12, cols = 40;
        var w = Shrink.Tests.TestSupport.TinyModels.RandomFloats(rows * cols, seed);
        // A random positive definite H from correlated inputs.
        var x = Shrink.Tests.TestSupport.TinyModels.RandomFloats(200 * cols, seed + 10);
        var h = new float[cols * cols];
        for (int s = 0; s < 200; s++)
            for (int i = 0; i < cols; i++)
                for (int j = 0; j < cols; j++) h[i * cols + j] += (x[s * cols + i] + x[s * cols + (i + 1) % cols]) * (x[s * cols + j] + x[s * cols + (j + 1) % cols]);
        var mask = SparsityGranularity.Parse(granularity).CreateMask();
        long zeros = rows * cols / 2;
        var sparse = SparseGptUpdate.Prune(w, rows, cols, h, mask, zeros, damp: 1e7, blockSize: 128);
        var magnitude = SparsityPruner.ApplyMask(w, w.Select(Math.Abs).ToArray(), rows, cols, mask, zeros);
        for (int i = 0; i < w.Length; i++)
        {
            Assert.Equal(magnitude[i] == 0, sparse[i] == 0);
            Assert.Equal(magnitude[i], sparse[i], 1e-3f);
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Bad_rates_are_refused_naming_the_value(double rate)
    {
        var e = Assert.Throws<OptionsException>(() => new SparsityPruner(new SparsityOptions { Sparsity = rate }).Prune(Mixed(), null));
        Assert.Contains(rate.ToString(System.Globalization.CultureInfo.CurrentCulture), e.Message);
    }

    [Theory]
    [InlineData(SparsityScope.Pqi)]
    [InlineData(SparsityScope.Sensitivity)]
    public void Per_layer_rate_schedules_with_an_n_of_m_pattern_are_refused_by_the_options(SparsityScope scope)
    {
        var e = Assert.Throws<OptionsException>(() => new SparsityOptions { Scope = scope, Granularity = SparsityGranularity.NOfM(2, 4) }.Validate());
        Assert.Contains("2:4 fixes its own rate", e.Message, StringComparison.Ordinal);
        Assert.Equal(["--schedule", "--granularity"], e.Options);
    }

    [Fact]
    public void A_rate_that_would_empty_a_layer_is_refused_naming_it()
    {
        // The conv's weights are 1e-4 of the others: a global 90% threshold takes all of them.
        var e = Assert.Throws<ShrinkException>(() => new SparsityPruner(new SparsityOptions { Sparsity = 0.9, Criterion = "magnitude" }).Prune(Mixed(firstLayerScale: 1e-4f), null));
        Assert.Contains("'conv'", e.Message);
    }

    [Fact]
    public void Reconstruction_without_data_nan_weights_and_bad_patterns_are_refused()
    {
        var e = Assert.Throws<ShrinkException>(() => new SparsityPruner(new SparsityOptions { Reconstruct = true }).Prune(Mixed(), null));
        Assert.Contains("calibration data", e.Message);
        e = Assert.Throws<ShrinkException>(() => new SparsityPruner(new SparsityOptions { Criterion = "energy" }).Prune(Mixed(), null));
        Assert.Contains("calibration data", e.Message);
        e = Assert.Throws<ShrinkException>(() => new SparsityPruner(new SparsityOptions { Criterion = "taylor" }).Prune(Mixed(), null));
        Assert.Contains("magnitude, energy", e.Message);
        Assert.Throws<ShrinkException>(() => SparsityGranularity.Parse("4:2"));
        Assert.Throws<ShrinkException>(() => SparsityGranularity.Parse("half"));

        var model = Mixed();
        var w = model.Graph.FindInitializer("W2")!.ToFloatArray();
        w[3] = float.PositiveInfinity;
        model.Graph.SetInitializer(Shrink.Model.TensorData.FromFloats("W2", [24, 16], w));
        e = Assert.Throws<ShrinkException>(() => new SparsityPruner(new SparsityOptions()).Prune(model, null));
        Assert.Contains("W2", e.Message);
    }

    [Fact]
    public void Excluded_nodes_stay_dense()
    {
        var model = Mixed();
        var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.5, ExcludeNodes = new HashSet<string> { "conv" } }).Prune(model, null);
        Assert.Equal(3, result.Layers.Count);
        Assert.Contains(result.LeftDense, l => l.Name == "conv" && l.Reason == "excluded");
        Assert.Equal(Matrix(model, "conv").W, Matrix(result.Model, "conv").W);
    }
    [Fact]
    public void Float_output_targets_lower_the_models_output_error_over_plain_sparsegpt()
    {
        var model = Mixed();
        var reference = WeightOnlyExporterTests.Run(model, InputDims, seed: 21);
        // More samples than the widest reduction length (288): with fewer, the cross-moment fit is under-determined and
        // overfits the calibration inputs (on real models 512 images suffice; their activations are far from full rank).
        double ErrorOf(bool floatTargets)
        {
            var result = new SparsityPruner(new SparsityOptions { Sparsity = 0.8, Reconstruct = true, TargetFloatOutputs = floatTargets, Samples = 1024 })
                .Prune(model, Random(1024));
            var output = WeightOnlyExporterTests.Run(result.Model, InputDims, seed: 21); // held-out inputs
            return output.Zip(reference, (a, b) => (double)(a - b) * (a - b)).Sum();
        }
        double plain = ErrorOf(false), targeted = ErrorOf(true);
        Assert.True(targeted < plain, $"float targets {targeted:g4} vs plain {plain:g4}");
    }
}
