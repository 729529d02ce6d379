using System.CommandLine;
using Shrink.Calibration;
using Shrink.Cli.Commands;
using Shrink.Methods.Pruning.Importance;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;

namespace Shrink.Tests.Cli.Commands;

/// <summary>The values the CLI accepts for a registered extension are exactly the registry's names, and help lists each with its summary.</summary>
public class RegistryChoicesTests
{
    private static Option OptionOf(string command, string option) =>
        global::Shrink.Cli.Cli.CreateRoot().Subcommands.Single(c => c.Name == command).Options.Single(o => o.Name == option);

    public static TheoryData<string, string, string> Choices => new()
    {
        { "quantize", "--calibration", "calibration" },
        { "quantize", "--method", "rounding" },
        { "quantize", "--sensitivity", "sensitivity" },
        { "tune", "--method", "rounding" },
        { "tune", "--sensitivity", "sensitivity" },
        { "pareto", "--method", "rounding" },
        { "pareto", "--sensitivity", "sensitivity" },
        { "sensitivity", "--method", "sensitivity" },
        { "prune", "--criterion", "criteria" },
    };

    private static IReadOnlyList<Shrink.Registration.RegistryEntry> Entries(string registry) => registry switch
    {
        "calibration" => CalibrationMethods.Registry.Entries,
        "rounding" => WeightRoundings.Registry.Entries,
        "sensitivity" => SensitivityMetrics.Registry.Entries,
        "criteria" => [.. ChannelImportances.Registry.Entries, .. SparsityCriteria.Registry.Entries],
        _ => throw new ArgumentOutOfRangeException(nameof(registry)),
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public void The_cli_offers_the_registry_names_with_their_summaries(string command, string option, string registry)
    {
        var o = OptionOf(command, option);
        var entries = Entries(registry);
        Assert.Equal(entries.Select(e => e.Name).Order(StringComparer.Ordinal), RegistryChoices.Offered(o).Order(StringComparer.Ordinal));
        foreach (var e in entries) Assert.Contains($"{e.Name}: {e.Summary}", o.Description);
    }

    [Theory]
    [MemberData(nameof(Choices))]
    public void Every_registry_name_parses_and_others_are_refused(string command, string option, string registry)
    {
        var root = global::Shrink.Cli.Cli.CreateRoot();
        foreach (var e in Entries(registry))
            Assert.DoesNotContain(root.Parse([command, "m.onnx", option, e.Name]).Errors, x => x.Message.Contains(option, StringComparison.Ordinal) || x.Message.Contains(e.Name, StringComparison.Ordinal));
        Assert.Contains(root.Parse([command, "m.onnx", option, "no-such-name"]).Errors, x => x.Message.Contains("no-such-name", StringComparison.Ordinal));
    }

    [Fact]
    public void One_of_joins_names_as_messages_always_did()
    {
        Assert.Equal("l1, l2, bn-scale, activation or reconstruction", RegistryChoices.OneOf(["l1", "l2", "bn-scale", "activation", "reconstruction"]));
        Assert.Equal("a", RegistryChoices.OneOf(["a"]));
    }
}
