using Shrink.Methods.Pruning.LowRank;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Pruning.Structured;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Tests.Methods;

/// <summary>
/// The options records refuse what users set wrong with <see cref="OptionsException"/> naming the options (the CLI and
/// recipes report it as a usage error), and accept their defaults.
/// </summary>
public class OptionsValidationTests
{
    public static TheoryData<string, string, string> Refusals => new()
    {
        { "lowrank: both", "give exactly one of --ratio R or --energy E.", "--ratio,--energy" },
        { "lowrank: neither", "give exactly one of --ratio R or --energy E.", "--ratio,--energy" },
        { "lowrank: ratio 1", "--ratio must be in (0, 1), not 1.", "--ratio" },
        { "lowrank: energy 0", "--energy must be in (0, 1], not 0.", "--energy" },
        { "sparsity: 1", "--sparsity must be in [0, 1), not 1.", "--sparsity" },
        { "sparsity: damp 0", "--damp must be positive.", "--damp" },
        { "channels: -0.5", "--sparsity must be in [0, 1), not -0.5.", "--sparsity" },
        { "channels: multiple 0", "--channel-multiple must be positive.", "--channel-multiple" },
        { "channels: latency batch 0", "--latency-batch must be positive.", "--latency-batch" },
        { "weights: group -1", "--group-size must be 0 or positive.", "--group-size" },
        { "weights: clip 1001", "--clip-steps 1001 is outside 1..1000 (the limit on clipping ranges tried per group).", "--clip-steps" },
    };

    private static Action Validate(string case_) => case_ switch
    {
        "lowrank: both" => new LowRankOptions { Ratio = 0.5, Energy = 0.9 }.Validate,
        "lowrank: neither" => new LowRankOptions().Validate,
        "lowrank: ratio 1" => new LowRankOptions { Ratio = 1 }.Validate,
        "lowrank: energy 0" => new LowRankOptions { Energy = 0 }.Validate,
        "sparsity: 1" => new SparsityOptions { Sparsity = 1 }.Validate,
        "sparsity: damp 0" => new SparsityOptions { Damp = 0 }.Validate,
        "channels: -0.5" => new ChannelPruningOptions { Sparsity = -0.5 }.Validate,
        "channels: multiple 0" => new ChannelPruningOptions { ChannelMultiple = 0 }.Validate,
        "channels: latency batch 0" => new ChannelPruningOptions { LatencyBatchSize = 0 }.Validate,
        "weights: group -1" => new WeightOnlyOptions { GroupSize = -1 }.Validate,
        "weights: clip 1001" => new WeightOnlyOptions { ClipSteps = 1001 }.Validate,
        _ => throw new ArgumentOutOfRangeException(nameof(case_)),
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Bad_values_are_refused_naming_the_options(string case_, string message, string options)
    {
        var e = Assert.Throws<OptionsException>(Validate(case_));
        Assert.Equal(message, e.Message);
        Assert.Equal(options.Split(','), e.Options);
    }

    [Fact]
    public void Defaults_and_set_values_pass()
    {
        new LowRankOptions { Energy = 1 }.Validate();
        new LowRankOptions { Ratio = 0.5 }.Validate();
        new SparsityOptions { Sparsity = 0 }.Validate();
        new ChannelPruningOptions().Validate();
        new WeightOnlyOptions { ClipSteps = 1000, GroupSize = 0 }.Validate();
    }

    [Fact]
    public void Other_bad_values_stay_plain_failures()
    {
        var e = Assert.Throws<ShrinkException>(new ChannelPruningOptions { MinKeepFraction = 0 }.Validate);
        Assert.IsNotType<OptionsException>(e);
        Assert.Throws<ShrinkException>(new SparsityOptions { Damp = double.PositiveInfinity }.Validate);
    }
}
