using Shrink.Numerics;

namespace Shrink.Tests.Numerics;

public sealed class BitAllocatorTests
{
    private static readonly int[] Widths = [2, 3, 4, 8];

    private static List<AllocationLayer> RandomProblem(int layers, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, layers).Select(i =>
        {
            double trace = Math.Exp(rng.NextDouble() * 6 - 3);
            long size = 100 + rng.Next(1000);
            return new AllocationLayer($"l{i}", Widths.ToDictionary(b => b, b => trace * Math.Pow(4, -b) * size), Widths.ToDictionary(b => b, b => size * b));
        }).ToList();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_ilp_matches_exhaustive_search(int seed)
    {
        var layers = RandomProblem(6, seed);
        long budget = layers.Sum(l => l.Resource[4]);
        var best = BitAllocator.Solve(layers, budget)!;
        Assert.True(best.Resource <= budget);
        double exhaustive = double.PositiveInfinity;
        foreach (var choice in Enumerable.Range(0, (int)Math.Pow(4, layers.Count)))
        {
            var bits = new Dictionary<string, int>();
            int c = choice;
            for (int i = 0; i < layers.Count; i++, c /= 4) bits[layers[i].Name] = Widths[c % 4];
            var a = BitAllocator.Evaluate(layers, bits);
            if (a.Resource <= budget) exhaustive = Math.Min(exhaustive, a.Cost);
        }
        Assert.Equal(exhaustive, best.Cost, exhaustive * 1e-6);
        Assert.True(best.Optimal);
    }

    [Fact]
    public void A_budget_below_the_smallest_allocation_has_no_solution()
    {
        var layers = RandomProblem(4, 7);
        Assert.Null(BitAllocator.Solve(layers, BitAllocator.MinimumResource(layers) - 1));
        Assert.NotNull(BitAllocator.Solve(layers, BitAllocator.MinimumResource(layers)));
    }
}
