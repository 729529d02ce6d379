using Onnx;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Evaluation;

public sealed class ConstantOutputFidelityTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>x [batch,4] → y = MatMul(x, W) and c = x · 0 + 2 (an output that ignores the data).</summary>
    private static ModelProto VaryingAndConstant()
    {
        var graph = new GraphProto { Name = "constant_output" };
        graph.Input.Add(FloatInfo("x", "batch", 4));
        graph.Output.Add(FloatInfo("y", "batch", 3));
        graph.Output.Add(FloatInfo("c", "batch", 4));
        graph.Initializer.Add(FloatTensor("W", [4, 3], RandomFloats(12, 9)));
        graph.Initializer.Add(FloatTensor("zero", [1], [0f]));
        graph.Initializer.Add(FloatTensor("two", [1], [2f]));
        graph.Node.Add(Node("MatMul", ["x", "W"], ["y"], "matmul"));
        graph.Node.Add(Node("Mul", ["x", "zero"], ["nothing"], "zero_out"));
        graph.Node.Add(Node("Add", ["nothing", "two"], ["c"], "constant"));
        return BuildModel(graph);
    }

    private static IEnumerable<IReadOnlyDictionary<string, (Array Values, long[] Shape)>> Samples()
    {
        for (int i = 0; i < 6; i++)
            yield return new Dictionary<string, (Array, long[])> { ["x"] = (new[] { i, 1f, -i, 0.5f * i }, [4]) };
    }

    [Fact]
    public void A_constant_reference_output_gets_a_note_instead_of_a_fidelity_number()
    {
        string model = WriteTo(VaryingAndConstant(), _dir.File("m.onnx"));

        var result = new ModelEvaluator(new EvaluationOptions { LatencyBatchSizes = [] }).Evaluate(model, model, inputs => DataSources.FromSamples(Samples(), inputs));

        var y = result.Fidelity!.Single(f => f.Output == "y");
        var c = result.Fidelity!.Single(f => f.Output == "c");
        Assert.NotNull(y.Cosine);
        Assert.Null(y.Note);
        Assert.Null(c.Cosine);
        Assert.Null(c.SqnrDb);
        Assert.Contains("'c'", c.Note);
        Assert.Single(result.Notes, n => n.Contains("'c'", StringComparison.Ordinal) && n.Contains("not meaningful", StringComparison.Ordinal));
    }
}
