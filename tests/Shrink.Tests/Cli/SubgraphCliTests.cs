using Google.Protobuf;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Cli;

/// <summary>What a user sees for a model whose weights sit inside an If: inspect lists them with the branch, quantize writes a model that runs.</summary>
public sealed class SubgraphCliTests
{
    [Fact]
    public void Inspect_lists_branch_layers_and_weight_only_and_dynamic_quantize_them()
    {
        using var dir = new TempDirectory();
        var proto = SubgraphModels.IfWithInnerWeights();
        string model = TinyModels.WriteTo(proto, dir.File("if.onnx"));

        var inspect = ShrinkCli.Run("inspect", model);
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        Assert.Contains("subgraph", inspect.Stdout, StringComparison.Ordinal);
        Assert.Contains("If 'branch' then_branch", inspect.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 node(s), 256 parameters.", inspect.Stdout, StringComparison.Ordinal);

        foreach (var (output, args) in new[] { ("w4.onnx", new[] { "--weights", "int4", "--method", "rtn", "--group-size", "16" }), ("dyn.onnx", new[] { "--mode", "dynamic" }) })
        {
            var run = ShrinkCli.Run(["quantize", model, "-o", dir.File(output), .. args]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            foreach (bool flag in new[] { true, false })
            {
                double sqnr = SubgraphModels.WorstSqnr(proto.ToByteArray(), File.ReadAllBytes(dir.File(output)), SubgraphModels.Inputs(proto, flag));
                Assert.True(sqnr > 12, $"{output}, flag {flag}: SQNR {sqnr:F1} dB");
            }
        }
    }
}
