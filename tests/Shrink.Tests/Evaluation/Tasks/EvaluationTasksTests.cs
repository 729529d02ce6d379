using Shrink.Data;
using Shrink.Evaluation.Tasks;
using Shrink.Model;

namespace Shrink.Tests.Evaluation.Tasks;

public sealed class EvaluationTasksTests
{
    private static readonly ModelInputSpec Ids = new("input_ids", ElementType.Int64, [null, null], ["batch", "seq"]);
    private static readonly ModelInputSpec Image = new("x", ElementType.Float, [null, 1, 28, 28], ["batch", null, null, null]);

    private static ValueInfo Output(string name, params object[] dims) =>
        new(name, ElementType.Float, [.. dims.Select(d => d is string s ? new Dimension(null, s) : new Dimension(Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture), null))]);

    [Fact]
    public void The_five_tasks_are_registered()
    {
        Assert.Equal(["classification", "lm", "embedding", "regression", "fidelity"], EvaluationTasks.Registry.Names);
        Assert.IsType<LanguageModelTask>(EvaluationTasks.Create("lm"));
    }

    [Fact]
    public void An_unknown_task_is_refused_with_the_valid_names()
    {
        var error = Assert.Throws<ShrinkException>(() => EvaluationTasks.Create("perplexity"));

        Assert.Contains("classification, lm, embedding, regression, fidelity", error.Message);
    }

    [Fact]
    public void Logits_over_token_ids_are_a_language_model()
    {
        var choice = EvaluationTasks.Detect([Ids], [Output("logits", "batch", "seq", 99)]);

        Assert.Equal("lm", choice.Name);
        Assert.Contains("'logits' [batch,seq,99]", choice.Detection);
        Assert.Contains("'input_ids'", choice.Detection);
    }

    [Fact]
    public void A_hidden_state_over_token_ids_is_an_embedding()
    {
        Assert.Equal("embedding", EvaluationTasks.Detect([Ids], [Output("last_hidden_state", "batch", "seq", 384)]).Name);
        Assert.Equal("embedding", EvaluationTasks.Detect([Ids], [Output("sentence_embedding", "batch", 384)]).Name);
    }

    [Fact]
    public void Anything_else_stays_classification_without_a_detection_note()
    {
        var image = EvaluationTasks.Detect([Image], [Output("logits", "batch", 10)]);
        var tokensToClasses = EvaluationTasks.Detect([Ids], [Output("scores", "batch", 2)]);

        Assert.Equal(new TaskChoice("classification", null), image);
        Assert.Equal(new TaskChoice("classification", null), tokensToClasses);
    }
}
