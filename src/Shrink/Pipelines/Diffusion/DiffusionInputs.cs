using Shrink.Data;
using Shrink.Model;

namespace Shrink.Pipelines.Diffusion;

/// <summary>
/// Which inputs of a noise predictor take the noisy sample x_t and the timestep t: exactly one float input (x, batch
/// first, every other dim fixed) and one integer input (t, int64 or int32, shape [batch]).
/// </summary>
/// <param name="X">The sample input.</param>
/// <param name="T">The timestep input.</param>
/// <param name="SampleShape">One sample's shape (x's dims after the batch dim), e.g. [1, 28, 28].</param>
public sealed record DiffusionInputs(ModelInputSpec X, ModelInputSpec T, long[] SampleShape)
{
    /// <summary>The values in one sample.</summary>
    public int SampleElements => (int)SampleShape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Finds x and t among <paramref name="inputs"/>.</summary>
    /// <exception cref="ShrinkException">The inputs are not one float sample input and one integer timestep input of those shapes; the message names <paramref name="model"/> and its inputs.</exception>
    public static DiffusionInputs Resolve(IReadOnlyList<ModelInputSpec> inputs, string model)
    {
        string names = string.Join(", ", inputs.Select(i => $"'{i.Name}' {i.Type.OnnxName()} {i.ShapeText}"));
        var floats = inputs.Where(i => i.Type == ElementType.Float).ToList();
        var integers = inputs.Where(i => i.Type is ElementType.Int64 or ElementType.Int32).ToList();
        if (inputs.Count != 2 || floats.Count != 1 || integers.Count != 1)
            throw new ShrinkException($"{model}: a diffusion pipeline needs a noise predictor with two inputs, a float sample x [batch,...] and an integer timestep t [batch]; its inputs are {names}.");
        var x = floats[0];
        var t = integers[0];
        if (x.Dims.Count < 2 || x.Dims.Skip(1).Any(d => d is null or <= 0))
            throw new ShrinkException($"{model}: the sample input '{x.Name}' {x.ShapeText} needs a batch dim and fixed sizes after it.");
        if (x.Dims[0] is long b && b != 1)
            throw new ShrinkException($"{model}: the sample input '{x.Name}' {x.ShapeText} has its batch fixed at {b}; the sampler needs a symbolic batch (or 1).");
        if (t.Dims.Count != 1)
            throw new ShrinkException($"{model}: the timestep input '{t.Name}' {t.ShapeText} must have shape [batch].");
        long[] sample = [.. x.Dims.Skip(1).Select(d => d!.Value)];
        if (sample.Aggregate(1L, (a, d) => a * d) > Array.MaxLength / 64)
            throw new ShrinkException($"{model}: one sample of '{x.Name}' {x.ShapeText} is too large for the sampler.");
        return new DiffusionInputs(x, t, sample);
    }

    /// <summary>A batch of <paramref name="count"/> samples at timesteps <paramref name="timesteps"/> (one per sample).</summary>
    public DataBatch Batch(float[] x, ReadOnlySpan<int> timesteps, int count)
    {
        long[] shape = [count, .. SampleShape];
        Array t = T.Type == ElementType.Int64 ? ToInt64(timesteps) : timesteps.ToArray();
        return new DataBatch([new BatchTensor(X.Name, ElementType.Float, shape, x), new BatchTensor(T.Name, T.Type, [count], t)], count, null);
    }

    private static long[] ToInt64(ReadOnlySpan<int> values)
    {
        var result = new long[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }
}
