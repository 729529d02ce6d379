using Shrink.Evaluation;

namespace Shrink.Tests.Evaluation;

public class FidelityAccumulatorTests
{
    [Fact]
    public void Identical_outputs_have_infinite_sqnr_and_full_agreement()
    {
        var f = new FidelityAccumulator();
        float[] x = [1, 2, 3, 4, -1, 5];
        f.Add(x, x, 3);
        Assert.True(double.IsPositiveInfinity(f.SqnrDb));
        Assert.Equal(1.0, f.Cosine, 12);
        Assert.Equal(1.0, f.ArgMaxAgreement);
    }

    [Fact]
    public void Sqnr_cosine_and_agreement_follow_their_definitions_across_batches()
    {
        var rng = new Random(3);
        var f = new FidelityAccumulator();
        double signal = 0, noise = 0, dot = 0, outSq = 0;
        int rows = 0, agree = 0;
        for (int batch = 0; batch < 3; batch++)
        {
            var reference = Enumerable.Range(0, 40).Select(_ => (float)rng.NextDouble() * 4 - 2).ToArray();
            var output = reference.Select(v => v + (float)(rng.NextDouble() - 0.5) * 0.8f).ToArray();
            f.Add(output, reference, 4);
            for (int i = 0; i < reference.Length; i++)
            {
                signal += reference[i] * (double)reference[i];
                noise += (reference[i] - (double)output[i]) * (reference[i] - (double)output[i]);
                dot += reference[i] * (double)output[i];
                outSq += output[i] * (double)output[i];
            }
            for (int r = 0; r < 10; r++)
            {
                var a = output.AsSpan(r * 4, 4).ToArray();
                var b = reference.AsSpan(r * 4, 4).ToArray();
                if (Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max())) agree++;
                rows++;
            }
        }
        Assert.Equal(10 * Math.Log10(signal / noise), f.SqnrDb, 9);
        Assert.Equal(dot / Math.Sqrt(signal * outSq), f.Cosine, 9);
        Assert.Equal((double)agree / rows, f.ArgMaxAgreement, 12);
        Assert.True(f.ArgMaxAgreement < 1.0, "the noise is large enough to flip some rows");
    }

    [Fact]
    public void Different_sizes_are_refused()
    {
        var e = Assert.Throws<ShrinkException>(() => new FidelityAccumulator().Add([1f, 2f], [1f], 1));
        Assert.Contains("differ", e.Message);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(3.5f)]
    public void A_constant_reference_gives_no_cosine_or_sqnr_but_a_note_naming_the_output(float value)
    {
        var f = new FidelityAccumulator();
        float[] reference = [.. Enumerable.Repeat(value, 12)];
        float[] output = [.. Enumerable.Range(0, 12).Select(i => value + i * 0.01f)];
        f.Add(output, reference, 4);
        f.Add(output, reference, 4);

        var result = f.Result("noise_pred");

        Assert.True(f.ReferenceIsConstant);
        Assert.Null(result.Cosine);
        Assert.Null(result.SqnrDb);
        Assert.Contains("'noise_pred'", result.Note);
    }

    [Fact]
    public void A_varying_reference_gives_numbers_and_no_note()
    {
        var f = new FidelityAccumulator();
        float[] reference = [1, 2, 3, 4];
        f.Add([1, 2, 3, 4.5f], reference, 4);

        var result = f.Result("y");

        Assert.False(f.ReferenceIsConstant);
        Assert.NotNull(result.Cosine);
        Assert.NotNull(result.SqnrDb);
        Assert.Null(result.Note);
    }
}
