using Shrink.Training.Optimizers;

namespace Shrink.Tests.Training.Optimizers;

public sealed class OptimizerTests
{
    [Fact]
    public void Sgd_with_momentum_follows_the_heavy_ball_recurrence()
    {
        var sgd = Shrink.Training.Optimizers.Optimizers.Create("sgd", new OptimizerSettings { Momentum = 0.5 });
        sgd.Initialize([2]);
        float[] w = [1, -2];
        sgd.Step(0, w, [0.5f, 1f], 0.1f, 0, 1); // v = g; w -= 0.1 v
        Assert.Equal([0.95f, -2.1f], w, (a, b) => Math.Abs(a - b) < 1e-6f);
        sgd.Step(0, w, [0.5f, 1f], 0.1f, 0, 2); // v = 0.5 v + g = 1.5 g
        Assert.Equal([0.875f, -2.25f], w, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void Adamw_first_step_moves_each_weight_by_the_learning_rate_against_its_gradient_sign()
    {
        var adam = Shrink.Training.Optimizers.Optimizers.Create("adamw", new OptimizerSettings());
        adam.Initialize([3]);
        float[] w = [1, 1, 1];
        adam.Step(0, w, [0.001f, -50f, 3f], 0.01f, 0, 1); // m̂/√v̂ = sign(g) at step 1
        Assert.Equal([0.99f, 1.01f, 0.99f], w, (a, b) => Math.Abs(a - b) < 1e-5f);
    }

    [Fact]
    public void Weight_decay_is_decoupled_from_the_gradient()
    {
        var adam = Shrink.Training.Optimizers.Optimizers.Create("adamw", new OptimizerSettings());
        adam.Initialize([1]);
        float[] w = [2];
        adam.Step(0, w, [0f], 0.1f, 0.5f, 1); // zero gradient: only w·(1 − lr·λ)
        Assert.Equal(2 * (1 - 0.05f), w[0], 1e-6f);
    }

    [Fact]
    public void Unknown_names_are_refused_with_the_valid_ones()
    {
        var e = Assert.Throws<ShrinkException>(() => Shrink.Training.Optimizers.Optimizers.Create("adam", new OptimizerSettings()));
        Assert.Contains("adamw", e.Message, StringComparison.Ordinal);
        Assert.Contains("sgd", e.Message, StringComparison.Ordinal);
    }
}
