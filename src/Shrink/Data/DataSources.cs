namespace Shrink.Data;

/// <summary>
/// Data an application streams itself, the way ONNX Runtime's <c>CalibrationDataReader</c> does: pass
/// <c>inputs =&gt; DataSources.FromSamples(MySamples(), inputs)</c> wherever a method takes a data opener.
/// </summary>
public static class DataSources
{
    /// <summary>
    /// A data source over <paramref name="samples"/>: <b>one sample per item</b>, a dictionary from model input name to
    /// the sample's values (row-major, any of <c>float[]</c>, <c>double[]</c>, <c>Half[]</c>, <c>long[]</c>, <c>int[]</c>,
    /// <c>short[]</c>, <c>sbyte[]</c>, <c>byte[]</c>, <c>ushort[]</c>, <c>uint[]</c>, <c>ulong[]</c>, <c>bool[]</c>) and
    /// the sample's shape without the batch axis (e.g. <c>[seq]</c> for token ids, <c>[]</c> for one timestep). The
    /// source stacks samples into batches along each input's batch axis and converts values to the input's type (floats
    /// never feed an integer input). Every sample must give every model input (attention masks, token type and position
    /// ids may be left out: they are derived as in <see cref="DerivedInputsDataSource"/>, judged from the first sample)
    /// with the same shapes. <paramref name="samples"/> is enumerated afresh on every pass, so it must restart (an
    /// iterator method or a collection does); it is read as batches are needed, never held whole.
    /// </summary>
    /// <param name="samples">The samples, one per item.</param>
    /// <param name="inputs">The model's inputs (what a data opener receives).</param>
    /// <param name="count">How many samples there are, when known (shown in progress and used for sample limits).</param>
    /// <param name="description">Names the data in messages.</param>
    /// <param name="note">Told how derived inputs are fed.</param>
    /// <exception cref="ShrinkException">While batches are read: a sample names an input the model does not have, lacks one it needs, or has values of the wrong type or shape; the message names the sample and the input.</exception>
    public static IDataSource FromSamples(IEnumerable<IReadOnlyDictionary<string, (Array Values, long[] Shape)>> samples, IReadOnlyList<ModelInputSpec> inputs,
        long? count = null, string description = "application samples", Action<string>? note = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(inputs);
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The count must be positive when given.");
        var source = new SampleDataSource(samples, inputs, count, description);
        return DerivedInputsDataSource.Wrap(source, source.Given, inputs, note, description);
    }
}
