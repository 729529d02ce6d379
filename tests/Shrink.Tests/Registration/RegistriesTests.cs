using Shrink.Calibration;
using Shrink.Methods;
using Shrink.Methods.Pruning.Importance;
using Shrink.Methods.Pruning.Sparsity;
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

    [Fact]
    public void Names_list_in_the_order_help_and_messages_always_used()
    {
        Assert.Equal(["minmax", "percentile", "entropy", "mse"], CalibrationMethods.Names);
        Assert.Equal(["rtn", "gptq"], WeightRoundings.Names);
        Assert.Equal(["l1", "l2", "bn-scale", "activation", "reconstruction"], ChannelImportances.Names);
        Assert.Equal(["magnitude", "energy", "lamp"], SparsityCriteria.Names);
        Assert.Equal(["hutchinson", "perturbation"], SensitivityMetrics.Names);
        Assert.Equal(["quantize", "quantize-dynamic", "weight-only", "prune", "sparsity", "lowrank"], CompressionMethods.Registry.Names);
    }

    [Fact]
    public void Case_insensitive_lookups_still_find_rounders_and_criteria()
    {
        Assert.Equal("gptq", WeightRoundings.Create("GPTQ").Name);
        Assert.Equal("lamp", SparsityCriteria.Create("Lamp").Name);
        Assert.Equal("perturbation", SensitivityMetrics.Create("Perturbation").Name);
        var e = Assert.Throws<ShrinkException>(() => WeightRoundings.Create("adaround"));
        Assert.Contains("rtn, gptq", e.Message);
    }

    private static object Instantiate(Type type)
    {
        var constructor = type.GetConstructors().First(c => c.GetParameters().All(p => p.HasDefaultValue || p.ParameterType == typeof(CalibrationSettings)));
        return constructor.Invoke([.. constructor.GetParameters().Select(p => p.ParameterType == typeof(CalibrationSettings) ? new CalibrationSettings() : p.DefaultValue)]);
    }
}
