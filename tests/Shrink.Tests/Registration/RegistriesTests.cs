using Shrink.Calibration;
using Shrink.Methods;
using Shrink.Methods.Pruning.Importance;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Pruning.Structured;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Passes;
using Shrink.Registration;

namespace Shrink.Tests.Registration;

/// <summary>
/// Every extension Shrink chooses by name is a class marked [Registered]: none is forgotten by its registry, and each
/// registered name is the name the instance reports. Adding one is one new source file (plus its test).
/// </summary>
public class RegistriesTests
{
    public static TheoryData<string> Kinds => ["calibration", "rounding", "importance", "sparsity", "sensitivity", "pass", "method"];

    private static (Type Interface, IReadOnlyList<RegistryEntry> Entries, Func<object, string> NameOf) Of(string kind) => kind switch
    {
        "calibration" => (typeof(ICalibrationMethod), CalibrationMethods.Registry.Entries, o => ((ICalibrationMethod)o).Name),
        "rounding" => (typeof(IWeightRounding), WeightRoundings.Registry.Entries, o => ((IWeightRounding)o).Name),
        "importance" => (typeof(IChannelImportance), ChannelImportances.Registry.Entries, o => ((IChannelImportance)o).Name),
        "sparsity" => (typeof(ISparsityCriterion), SparsityCriteria.Registry.Entries, o => ((ISparsityCriterion)o).Name),
        "sensitivity" => (typeof(ISensitivityMetric), SensitivityMetrics.Registry.Entries, o => ((ISensitivityMetric)o).Name),
        "pass" => (typeof(IGraphPass), GraphPasses.Registry.Entries, o => ((IGraphPass)o).Name),
        "method" => (typeof(ICompressionMethod), CompressionMethods.Registry.Entries, o => ((ICompressionMethod)o).Name),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_implementation_is_registered_under_the_name_it_reports(string kind)
    {
        var (contract, entries, nameOf) = Of(kind);
        var implementations = typeof(Registry<>).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsInterface && contract.IsAssignableFrom(t) && t.IsPublic).ToList();
        Assert.NotEmpty(implementations);
        Assert.Equal(implementations.Select(t => t.FullName).Order(), entries.Select(e => e.Type.FullName).Order());
        foreach (var entry in entries)
        {
            Assert.False(string.IsNullOrWhiteSpace(entry.Summary), entry.Name);
            Assert.Equal(entry.Name, nameOf(Instantiate(entry.Type)));
        }
    }

    // The names that existed come first, in the order help and messages always used; a new entry (one new file) may
    // follow them without editing this list.
    [Fact]
    public void Names_list_in_the_order_help_and_messages_always_used()
    {
        StartsWith(["minmax", "percentile", "entropy", "mse"], CalibrationMethods.Names);
        StartsWith(["rtn", "gptq"], WeightRoundings.Names);
        StartsWith(["l1", "l2", "bn-scale", "activation", "reconstruction"], ChannelImportances.Names);
        StartsWith(["magnitude", "energy", "lamp"], SparsityCriteria.Names);
        StartsWith(["hutchinson", "perturbation"], SensitivityMetrics.Names);
        StartsWith(["quantize", "quantize-dynamic", "weight-only", "prune", "sparsity", "lowrank"], CompressionMethods.Registry.Names);
    }

    private static void StartsWith(string[] expected, IReadOnlyCollection<string> names) => Assert.Equal(expected, names.Take(expected.Length));

    // The recipe steps ask the registered rounder or criterion, not a list of names, whether data is needed.
    [Fact]
    public void Recipe_steps_need_data_exactly_when_the_registered_rounder_or_criterion_does()
    {
        foreach (var name in WeightRoundings.Names)
            Assert.Equal(WeightRoundings.Create(name).NeedsHessian, CompressionMethods.Registry.Create("weight-only").NeedsData(new WeightOnlyOptions { Method = name }));
        foreach (var name in ChannelImportances.Names)
            Assert.Equal(ChannelImportances.Create(name).NeedsData, CompressionMethods.Registry.Create("prune").NeedsData(new ChannelPruningOptions { Criterion = name }));
    }

    [Fact]
    public void Case_insensitive_lookups_still_find_rounders_and_criteria()
    {
        Assert.Equal("gptq", WeightRoundings.Create("GPTQ").Name);
        Assert.Equal("lamp", SparsityCriteria.Create("Lamp").Name);
        Assert.Equal("perturbation", SensitivityMetrics.Create("Perturbation").Name);
        var e = Assert.Throws<ShrinkException>(() => WeightRoundings.Create("nearest"));
        Assert.Contains("rtn, gptq", e.Message);
    }

    private static object Instantiate(Type type)
    {
        var constructor = type.GetConstructors().First(c => c.GetParameters().All(p => p.HasDefaultValue || p.ParameterType == typeof(CalibrationSettings)));
        return constructor.Invoke([.. constructor.GetParameters().Select(p => p.ParameterType == typeof(CalibrationSettings) ? new CalibrationSettings() : p.DefaultValue)]);
    }
}
