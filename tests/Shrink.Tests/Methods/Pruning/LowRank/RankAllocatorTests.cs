using Shrink.Methods.Pruning.LowRank;

namespace Shrink.Tests.Methods.Pruning.LowRank;

public sealed class RankAllocatorTests
{
    // σⱼ = decay^j, j = 0 … min(rows, cols) − 1.
    private static LayerSpectrum Geometric(string name, int rows, int cols, double decay) =>
        new(name, rows, cols, Enumerable.Range(0, Math.Min(rows, cols)).Select(j => Math.Pow(decay, j)).ToArray());

    private static long Parameters(IReadOnlyList<LayerSpectrum> layers, int?[] ranks) =>
        layers.Select((l, i) => ranks[i] is int r ? l.ParametersAt(r) : l.FullParameters).Sum();

    private static double Discarded(IReadOnlyList<LayerSpectrum> layers, int?[] ranks) =>
        layers.Select((l, i) => ranks[i] is int r ? l.DiscardedAt(r) : 0).Sum();

    private static List<LayerSpectrum> RandomLayers(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            int rows = 4 + rng.Next(12), cols = 4 + rng.Next(24);
            double decay = 0.3 + 0.65 * rng.NextDouble();
            var sigma = Enumerable.Range(0, Math.Min(rows, cols)).Select(j => Math.Pow(decay, j) * (0.8 + 0.4 * rng.NextDouble())).OrderDescending().ToArray();
            return new LayerSpectrum($"l{i}", rows, cols, sigma);
        }).ToList();
    }

    [Theory]
    [InlineData(1, 0.2)]
    [InlineData(2, 0.35)]
    [InlineData(3, 0.5)]
    [InlineData(4, 0.7)]
    [InlineData(5, 0.9)]
    public void The_allocation_stays_within_the_budget_and_matches_exhaustive_search(int seed, double ratio)
    {
        var layers = RandomLayers(4, seed);
        long budget = Math.Max(RankAllocator.MinimumParameters(layers), (long)(ratio * layers.Sum(l => l.FullParameters)));
        var ranks = RankAllocator.Allocate(layers, budget);
        Assert.True(Parameters(layers, ranks) <= budget);

        // Every combination of rank 1 … largest saving rank, or whole.
        var options = layers.Select(l => Enumerable.Range(1, l.MaxSavingRank).Select(r => (int?)r).Append(null).ToArray()).ToArray();
        double best = double.PositiveInfinity;
        var pick = new int?[layers.Count];
        void Search(int i)
        {
            if (i == layers.Count)
            {
                if (Parameters(layers, pick) <= budget) best = Math.Min(best, Discarded(layers, pick));
                return;
            }
            foreach (var o in options[i]) { pick[i] = o; Search(i + 1); }
        }
        Search(0);
        Assert.Equal(best, Discarded(layers, ranks), 1e-12);

        // The greedy fallback: within the budget, never better than the optimum, close to it.
        var greedy = RankAllocator.Greedy(layers, budget);
        Assert.True(Parameters(layers, greedy) <= budget);
        Assert.InRange(Discarded(layers, greedy), best - 1e-12, best + 0.05 * layers.Count);
    }

    [Fact]
    public void At_the_minimum_every_layer_takes_rank_one_and_below_it_the_budget_is_refused()
    {
        var layers = new[] { Geometric("a", 16, 32, 0.8), Geometric("b", 24, 24, 0.9) };
        long minimum = RankAllocator.MinimumParameters(layers);
        Assert.Equal(48 + 48, minimum);
        Assert.Equal([1, 1], RankAllocator.Allocate(layers, minimum));
        Assert.Equal([1, 1], RankAllocator.Greedy(layers, minimum));
        Assert.Throws<ArgumentOutOfRangeException>(() => RankAllocator.Allocate(layers, minimum - 1));
    }

    [Fact]
    public void The_layer_whose_spectrum_decays_faster_gets_the_smaller_rank()
    {
        // Same shape, same budget share on offer: the fast-decaying layer loses little per rank dropped.
        var layers = new[] { Geometric("slow", 64, 64, 0.95), Geometric("fast", 64, 64, 0.6) };
        long budget = layers.Sum(l => l.FullParameters) / 4; // 2048: rank 8 each if split evenly
        var ranks = RankAllocator.Allocate(layers, budget);
        Assert.True(ranks[1] < 8 && ranks[0] > 8, $"slow {ranks[0]}, fast {ranks[1]}");
        Assert.Equal(budget, Parameters(layers, ranks));
        Assert.True(Discarded(layers, ranks) < layers[0].DiscardedAt(8) + layers[1].DiscardedAt(8));
        Assert.Equal(ranks, RankAllocator.Greedy(layers, budget));
    }

    [Fact]
    public void A_small_flat_layer_stays_whole_when_that_is_cheaper_than_any_saving_rank()
    {
        // cnn_small's shape in miniature: a large layer with a decaying spectrum, then a 10-wide head with a flat one.
        // Keeping the head whole costs 640 parameters; its largest saving rank (8) costs 592 and discards 20 % of it.
        var body = Geometric("body", 64, 512, 0.85);
        var head = new LayerSpectrum("head", 10, 64, Enumerable.Repeat(1.0, 10).ToArray());
        var layers = new[] { body, head };
        long budget = layers.Sum(l => l.FullParameters) / 2;
        var ranks = RankAllocator.Allocate(layers, budget);
        Assert.Null(ranks[1]);
        Assert.Equal((int)((budget - head.FullParameters) / (64 + 512)), ranks[0]);
        Assert.True(Parameters(layers, ranks) <= budget);
        Assert.Equal(ranks, RankAllocator.Greedy(layers, budget));
    }

    [Fact]
    public void A_layer_no_rank_can_save_stays_whole()
    {
        var layers = new[] { Geometric("vector", 1, 64, 0.5), Geometric("m", 32, 32, 0.8) };
        Assert.Equal(0, layers[0].MaxSavingRank);
        var ranks = RankAllocator.Allocate(layers, RankAllocator.MinimumParameters(layers) + 200);
        Assert.Null(ranks[0]);
        Assert.NotNull(ranks[1]);
    }

    [Fact]
    public void Discarded_energy_is_the_tail_of_the_squared_singular_values()
    {
        var layer = new LayerSpectrum("l", 12, 20, [8, 4, 2, 1]); // energies 64, 16, 4, 1 of 85
        Assert.Equal(21.0 / 85, layer.DiscardedAt(1), 12);
        Assert.Equal(1.0 / 85, layer.DiscardedAt(3), 12);
        Assert.Equal(0, layer.DiscardedAt(4));
        Assert.Equal(7, Geometric("g", 12, 20, 0.5).MaxSavingRank); // 7·32 = 224 < 240 ≤ 8·32
        Assert.Equal(0, new LayerSpectrum("zero", 4, 4, [0, 0, 0, 0]).DiscardedAt(1));
    }
}
