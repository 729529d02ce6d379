using System.Runtime.CompilerServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;
using Xunit.Abstractions;

namespace Shrink.Tests.Passes;

/// <summary>A fact that needs Debian's libonnx-testdata; skipped, visibly, where it is not installed.</summary>
internal sealed class OnnxTestDataFactAttribute : FactAttribute
{
    public OnnxTestDataFactAttribute([CallerFilePath] string file = "", [CallerMemberName] string method = "")
    {
        if (!Directory.Exists(Path.Combine(RepoPaths.OnnxTestData, "node")))
        {
            Skip = $"needs ONNX's backend test data at {RepoPaths.OnnxTestData}: apt-get install libonnx-testdata";
            DisplayName = SkippedTestName.Of(Skip, file, method);
        }
    }
}

/// <summary>A theory that needs Debian's libonnx-testdata; skipped, visibly, where it is not installed.</summary>
internal sealed class OnnxTestDataTheoryAttribute : TheoryAttribute
{
    public OnnxTestDataTheoryAttribute([CallerFilePath] string file = "", [CallerMemberName] string method = "")
    {
        if (!Directory.Exists(Path.Combine(RepoPaths.OnnxTestData, "node")))
        {
            Skip = $"needs ONNX's backend test data at {RepoPaths.OnnxTestData}: apt-get install libonnx-testdata";
            DisplayName = SkippedTestName.Of(Skip, file, method);
        }
    }
}

/// <summary>
/// ONNX's own node tests written at opsets below the target (13, or 21), upgraded by <see cref="UpgradeOpset"/> and
/// run in ONNX Runtime: the upgraded models must give the stored reference outputs.
/// </summary>
public class OnnxTestDataUpgradeTests(ITestOutputHelper output)
{
    private static string NodeTests => Path.Combine(RepoPaths.OnnxTestData, "node");

    [OnnxTestDataTheory]
    [InlineData(13)]
    [InlineData(21)]
    public void Node_tests_below_the_target_give_the_reference_outputs_after_the_upgrade(int target)
    {
        int belowTarget = 0, unknownOps = 0, tooOld = 0, ran = 0;
        var rewritten = new List<string>();
        var skipped = new List<string>();
        var refused = new List<string>();
        var mismatches = new List<string>();
        foreach (var dir in Directory.GetDirectories(NodeTests).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            string modelPath = Path.Combine(dir, "model.onnx");
            if (!File.Exists(modelPath)) continue;
            var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
            long opset = proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).FirstOrDefault();
            if (opset == 0 || opset >= target) continue;
            belowTarget++;
            if (!AllNodes(proto.Graph).All(n => n.Domain is "" or "ai.onnx" && UpgradeOpset.IsKnownOp(n.OpType, opset)))
            {
                unknownOps++;
                continue;
            }
            if (opset < UpgradeOpset.OldestSupportedOpset)
            {
                // Refused by design; check that it is.
                var old = OnnxModel.FromProto(proto.Clone(), name);
                Assert.Throws<ShrinkException>(() => new UpgradeOpset(target).Apply(old));
                tooOld++;
                continue;
            }
            if (proto.Graph.Input.Concat(proto.Graph.Output).Any(v => v.Type?.TensorType is null))
            {
                skipped.Add($"{name}: non-tensor inputs or outputs");
                continue;
            }
            var cases = LoadCases(dir, proto.Graph);
            if (cases.Count == 0)
            {
                skipped.Add($"{name}: no test data");
                continue;
            }
            byte[] originalBytes = proto.ToByteArray();
            try
            {
                using var session = OrtRunner.Open(originalBytes);
                string? differs = cases.Select(c => Compare(OrtRunner.Run(session, c.Inputs), c.Expected)).FirstOrDefault(d => d is not null);
                if (differs is not null)
                {
                    skipped.Add($"{name}: ONNX Runtime differs from the reference before the upgrade ({differs})");
                    continue;
                }
            }
            catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException)
            {
                skipped.Add($"{name}: ONNX Runtime cannot run the original ({FirstLine(e.Message)})");
                continue;
            }

            var model = OnnxModel.FromProto(proto.Clone(), name);
            try
            {
                var result = new UpgradeOpset(target).Apply(model);
                if (result.Details.Count > 1) rewritten.Add($"{name} ({string.Join("; ", result.Details.Skip(1))})");
            }
            catch (ShrinkException e)
            {
                refused.Add($"{name}: {e.Message}");
                continue;
            }
            Assert.Equal(target, model.OpsetVersion());
            try
            {
                using var session = OrtRunner.Open(model.ToByteArray());
                foreach (var (set, c) in cases.Select((c, i) => (i, c)))
                {
                    if (Compare(OrtRunner.Run(session, c.Inputs), c.Expected) is { } difference)
                        mismatches.Add($"{name} (data set {set}): {difference}");
                }
            }
            catch (Exception e) when (e is OnnxRuntimeException or NotSupportedException)
            {
                mismatches.Add($"{name}: the upgraded model does not run: {FirstLine(e.Message)}");
            }
            ran++;
        }

        output.WriteLine($"{belowTarget} node tests below opset {target}: {unknownOps} use ops the pass does not know, {tooOld} are older than opset {UpgradeOpset.OldestSupportedOpset} (refused as expected), {skipped.Count} skipped, {refused.Count} refused, {ran} upgraded and run ({rewritten.Count} with rewritten nodes), {mismatches.Count} mismatched.");
        foreach (var r in rewritten) output.WriteLine("rewrote " + r);
        foreach (var s in skipped) output.WriteLine("skipped " + s);
        foreach (var r in refused) output.WriteLine("refused " + r);
        foreach (var m in mismatches) output.WriteLine("MISMATCH " + m);
        Assert.Empty(mismatches);
        Assert.True(ran >= 20, $"only {ran} node tests ran");
    }

    private sealed record Case(Dictionary<string, TensorProto> Inputs, List<TensorProto> Expected);

    private static List<Case> LoadCases(string dir, GraphProto graph)
    {
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name).ToList();
        var cases = new List<Case>();
        foreach (var set in Directory.GetDirectories(dir, "test_data_set_*").Order(StringComparer.Ordinal))
        {
            var feed = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
            for (int i = 0; i < inputs.Count; i++)
            {
                string file = Path.Combine(set, $"input_{i}.pb");
                if (!File.Exists(file)) break; // an omitted optional input
                var tensor = TensorProto.Parser.ParseFrom(File.ReadAllBytes(file));
                tensor.Name = inputs[i];
                feed[inputs[i]] = tensor;
            }
            var expected = new List<TensorProto>();
            for (int i = 0; i < graph.Output.Count; i++)
                expected.Add(TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(set, $"output_{i}.pb"))));
            cases.Add(new Case(feed, expected));
        }
        return cases;
    }

    // Null when every output matches its reference (ONNX's backend tolerance), else the first difference.
    private static string? Compare(IReadOnlyList<OutputTensor> actual, List<TensorProto> expected)
    {
        if (actual.Count != expected.Count) return $"{actual.Count} outputs, reference {expected.Count}";
        for (int i = 0; i < actual.Count; i++)
            if (TensorCompare.WithinTolerance(actual[i], expected[i], rtol: 1e-3, atol: 1e-7) is { } difference) return difference;
        return null;
    }

    private static IEnumerable<NodeProto> AllNodes(GraphProto graph)
    {
        foreach (var node in graph.Node)
        {
            yield return node;
            foreach (var a in node.Attribute)
            {
                var bodies = a.G is not null ? a.Graphs.Prepend(a.G) : a.Graphs;
                foreach (var inner in bodies.SelectMany(AllNodes)) yield return inner;
            }
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0];
}
