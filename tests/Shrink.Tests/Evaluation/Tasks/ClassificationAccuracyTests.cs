using Shrink.Evaluation.Tasks;

namespace Shrink.Tests.Evaluation.Tasks;

public class ClassificationAccuracyTests
{
    [Fact]
    public void Counts_top1_and_top5_hits()
    {
        // 3 rows of 6 classes: row 0 label is the max, row 1 label ranks 3rd, row 2 label ranks last.
        float[] logits =
        [
            0.1f, 0.9f, 0.2f, 0.3f, 0.0f, 0.0f,
            0.5f, 0.4f, 0.3f, 0.6f, 0.1f, 0.0f,
            0.5f, 0.4f, 0.3f, 0.6f, 0.2f, 0.1f,
        ];
        var acc = new ClassificationAccuracy();
        acc.Add(logits, 6, [1, 1, 5]);
        Assert.Equal(3, acc.Count);
        Assert.Equal(1.0 / 3, acc.Top1, 12);
        Assert.Equal(2.0 / 3, acc.Top5!.Value, 12);
    }

    [Fact]
    public void Ties_go_to_the_first_class_like_argmax()
    {
        var acc = new ClassificationAccuracy();
        acc.Add([1f, 1f, 0f], 3, [1]);
        Assert.Equal(0, acc.Top1);
        Assert.Null(acc.Top5); // fewer than 5 classes
        acc.Add([1f, 1f, 0f], 3, [0]);
        Assert.Equal(0.5, acc.Top1);
    }

    [Fact]
    public void Label_outside_the_classes_is_refused()
    {
        var acc = new ClassificationAccuracy();
        var e = Assert.Throws<ShrinkException>(() => acc.Add([0f, 1f], 2, [7]));
        Assert.Contains("Label 7", e.Message);
    }
}
