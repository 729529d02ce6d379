using System.Reflection;
using NetArchTest.Rules;
using Shrink.Model;

namespace Shrink.Tests.Architecture;

/// <summary>
/// The rules of the source tree, checked on the compiled assemblies: no namespace cycle, no method family reaching into
/// another, and protobuf (the ONNX <c>Onnx.*</c> types and Google.Protobuf) only inside <c>Shrink.Model</c>.
/// </summary>
public sealed class ArchitectureTests
{
    private const string MethodsRoot = "Shrink.Methods";

    private static readonly Assembly Core = typeof(OnnxModel).Assembly;
    private static readonly Lazy<NamespaceGraph> CoreGraph = new(() => NamespaceGraph.Of(Core, "Shrink"));

    [Fact]
    public void Core_has_no_namespace_cycle()
    {
        var graph = CoreGraph.Value;
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, "Namespace cycles in Shrink.Core:\n" + string.Join("\n", cycles.Select(c => Describe(graph, c))));
    }

    [Fact]
    public void Cycle_detector_finds_and_names_a_cycle()
    {
        // Two fixture namespaces in this test assembly that use each other.
        const string root = "Shrink.Tests.Architecture.Fixtures";
        var graph = NamespaceGraph.Of(typeof(ArchitectureTests).Assembly, root);
        var cycle = Assert.Single(graph.Cycles());
        Assert.Equal([root + ".CycleEnd", root + ".CycleStart", root + ".CycleEnd"], cycle);
        Assert.Contains(root + ".CycleStart.CycleStart", graph.Evidence(root + ".CycleStart", root + ".CycleEnd"));
    }

    [Fact]
    public void Namespace_graph_sees_the_dependencies_it_must_see()
    {
        // Guards the rule above against a graph that finds nothing: passes rewrite the model, quantization uses the model.
        var graph = CoreGraph.Value;
        Assert.True(graph.Uses("Shrink.Passes", "Shrink.Model"));
        Assert.True(graph.Uses("Shrink.Methods.Quantization", "Shrink.Methods.Quantization.Qdq"));
        Assert.Contains("Shrink.Methods.Quantization.StaticQuantizer", graph.Evidence("Shrink.Methods.Quantization", "Shrink.Methods.Quantization.Qdq"));
        Assert.False(graph.Uses("Shrink.Model", "Shrink.Passes"));
        Assert.False(graph.Uses("Shrink.Methods.Quantization.Qdq", "Shrink.Methods.Quantization"));
    }

    [Fact]
    public void Method_families_do_not_use_each_other()
    {
        var families = NamespaceGraph.TopLevelTypes(Core, MethodsRoot)
            .Where(t => t.Namespace != MethodsRoot)
            .GroupBy(t => t.Namespace![(MethodsRoot.Length + 1)..].Split('.')[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(t => t.FullName!).ToArray(), StringComparer.Ordinal);
        Assert.Contains("Quantization", families.Keys);
        Assert.Contains("Pruning", families.Keys);

        var types = Types.InAssembly(Core);
        var violations = new List<string>();
        foreach (var (from, _) in families)
        {
            foreach (var (to, names) in families.Where(f => f.Key != from))
            {
                var users = types.That().ResideInNamespaceMatching($@"^Shrink\.Methods\.{from}(\..*)?$").And().HaveDependencyOnAny(names).GetTypes()
                    .Select(NamespaceGraph.OuterName).Distinct().Order(StringComparer.Ordinal).ToList();
                if (users.Count > 0) violations.Add($"{MethodsRoot}.{from} uses {MethodsRoot}.{to}: {string.Join(", ", users)}");
            }
        }
        Assert.True(violations.Count == 0, "A method family reaches into another (move the shared part to Layers/, Measures/, Numerics/, Passes/ or Validation/):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Protobuf_types_are_used_only_in_Model()
    {
        var offenders = new List<string>();
        foreach (var assembly in new[] { Core, Assembly.Load(new AssemblyName("shrink")) })
        {
            offenders.AddRange(Types.InAssembly(assembly).That().DoNotResideInNamespaceMatching(@"^Shrink\.Model$")
                .And().HaveDependencyOnAny("Onnx", "Google.Protobuf").GetTypes()
                .Select(NamespaceGraph.OuterName));
        }
        var listed = offenders.Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(listed.Count == 0, "Protobuf (Onnx.*, Google.Protobuf) used outside Shrink.Model; give Model/ the graph edit it needs:\n" + string.Join("\n", listed));
    }

    [Fact]
    public void Protobuf_check_sees_the_Model_namespace()
    {
        // Guards the rule above against a dependency name that matches nothing.
        var users = Types.InAssembly(Core).That().ResideInNamespaceMatching(@"^Shrink\.Model$").And().HaveDependencyOnAny("Onnx").GetTypes()
            .Select(NamespaceGraph.OuterName).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(typeof(OnnxModel).FullName!, users);
        Assert.Contains(typeof(Node).FullName!, users);
    }

    private static string Describe(NamespaceGraph graph, IReadOnlyList<string> cycle) =>
        string.Join(" → ", cycle) + "\n" + string.Join("\n", cycle.Zip(cycle.Skip(1), (a, b) => $"  {a} → {b}: {string.Join(", ", graph.Evidence(a, b).Take(5))}"));
}
