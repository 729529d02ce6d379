namespace Shrink.Tests.TestSupport;

/// <summary>Skipped tests carry their reason in the name <c>dotnet test</c> prints.</summary>
public class SkippedTestNameTests
{
    [Theory]
    [InlineData("/repo/tests/Shrink.Tests/Evaluation/ModelEvaluatorTests.cs")]
    [InlineData(@"C:\repo\tests\Shrink.Tests\Evaluation\ModelEvaluatorTests.cs")]
    public void Name_is_the_class_and_method_with_the_reason(string file) =>
        Assert.Equal("ModelEvaluatorTests.Reproduces_accuracy (skipped: needs the shared reference models at /x)",
            SkippedTestName.Of("needs the shared reference models at /x", file, "Reproduces_accuracy"));

    [Fact]
    public void Shared_fact_names_a_skipped_test_by_its_reason_and_leaves_a_running_one_alone()
    {
        var fact = new SharedFactAttribute(needsFashionMnist: true);
        if (fact.Skip is null)
            Assert.Null(fact.DisplayName);
        else
            Assert.Equal($"SkippedTestNameTests.{nameof(Shared_fact_names_a_skipped_test_by_its_reason_and_leaves_a_running_one_alone)} (skipped: {fact.Skip})", fact.DisplayName);
    }
}
