using Shrink.Data;
using Shrink.Evaluation.Tasks;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Tests.Evaluation.Tasks;

public sealed class RegressionTaskTests
{
    private static DataBatch Batch(int[]? labels) => new([new BatchTensor("x", ElementType.Float, [3, 1], new float[3])], 3, labels);

    [Fact]
    public void Errors_against_the_reference_and_the_labels()
    {
        var task = new RegressionTask();
        var model = new OutputTensor("y", [3, 1], [1, 2, 4]);
        var reference = new OutputTensor("y", [3, 1], [1, 3, 2]);

        task.Add(new TaskBatch(Batch([1, 2, 3]), [model], [reference], "m", "r"));

        var m = task.Metrics().ToDictionary(x => x.Name);
        Assert.Equal((0 + 1 + 4) / 3.0, m["mse_vs_reference"].Value, 9);
        Assert.Equal((0 + 1 + 2) / 3.0, m["mae_vs_reference"].Value, 9);
        Assert.Equal((0 + 0 + 1) / 3.0, m["mse"].Value, 9);          // model vs labels 1,2,3
        Assert.Equal((0 + 1 + 1) / 3.0, m["mse"].ReferenceValue!.Value, 9); // reference vs labels
        Assert.True(m["mae"].LowerIsBetter);
    }

    [Fact]
    public void Labels_need_one_value_per_sample()
    {
        var task = new RegressionTask();

        var error = Assert.Throws<ShrinkException>(() => task.Add(new TaskBatch(Batch([1, 2, 3]), [new OutputTensor("y", [3, 2], new float[6])], null, "m.onnx", null)));

        Assert.Contains("'y' [3,2]", error.Message);
    }
}
