using Shrink.Model;

namespace Shrink.Data;

/// <summary>
/// What the named-array sources (.npz, a folder of NAME.npy, JSON Lines) share: matching names to model inputs,
/// checking a sample's shape against the input's declared dims, and stacking samples along the input's batch axis.
/// </summary>
internal static class NamedInputFit
{
    /// <summary>The names an array of class labels may have (when no model input has it).</summary>
    private static readonly string[] LabelNames = ["labels", "label"];

    /// <summary>The model's inputs as a list for messages: <c>'x', 't'</c>.</summary>
    public static string Names(IReadOnlyList<ModelInputSpec> inputs) => string.Join(", ", inputs.Select(i => $"'{i.Name}'"));

    /// <summary>True when <paramref name="name"/> holds class labels: <c>labels</c> or <c>label</c>, and no model input is called so.</summary>
    public static bool IsLabels(string name, IReadOnlyList<ModelInputSpec> inputs) =>
        LabelNames.Contains(name, StringComparer.Ordinal) && inputs.All(i => i.Name != name);

    /// <summary>The input called <paramref name="name"/>.</summary>
    /// <exception cref="ShrinkException">No input has that name; the message names <paramref name="origin"/> and the model's inputs.</exception>
    public static ModelInputSpec Find(IReadOnlyList<ModelInputSpec> inputs, string name, string origin) =>
        inputs.FirstOrDefault(i => i.Name == name)
        ?? throw new ShrinkException($"{origin}: '{name}' is not an input of the model; its inputs are {Names(inputs)} (and 'labels' may hold class labels).");

    /// <summary>Refuses values of <paramref name="kind"/> (e.g. floats) for <paramref name="input"/> (e.g. int64).</summary>
    public static void CheckType(ModelInputSpec input, NumberKind kind, string kindName, string origin)
    {
        if (ElementConversion.Refusal(kind, input.Type) is string why)
            throw new ShrinkException($"{origin}: '{input.Name}' holds {kindName} values but model input '{input.Name}' takes {input.Type.OnnxName()}: {why}.");
    }

    /// <summary>
    /// The sample shape must be the input's declared dims without its batch axis (symbolic dims take anything); a
    /// scalar input takes one value (a 0-d array), shared by every sample.
    /// </summary>
    public static void CheckShape(ModelInputSpec input, long[] sampleShape, bool scalarArray, string origin)
    {
        if (input.IsScalar != scalarArray)
            throw new ShrinkException(input.IsScalar
                ? $"{origin}: model input '{input.Name}' is a scalar, one value for every sample; give it a single value (a 0-d array), not {ArrayFile.Format(sampleShape.Prepend(-1)).Replace("-1", "n", StringComparison.Ordinal)}."
                : $"{origin}: '{input.Name}' is a single value, but model input '{input.Name}' {input.ShapeText} takes one per sample; the first axis must count the samples.");
        if (input.IsScalar || input.Dims.Count == 0)
            return;
        int batchAxis = Math.Max(0, input.BatchAxis);
        bool fits = input.Dims.Count == sampleShape.Length + 1;
        for (int i = 0, s = 0; fits && i < input.Dims.Count; i++)
        {
            if (i == batchAxis) continue;
            fits = input.Dims[i] is not long d || d == sampleShape[s];
            s++;
        }
        if (!fits)
            throw new ShrinkException($"{origin}: samples of '{input.Name}' have shape {ArrayFile.Format(sampleShape)} (rank {sampleShape.Length}), " +
                $"but model input '{input.Name}' expects {input.ShapeText}, i.e. samples of rank {input.Dims.Count - 1}{FixedDims(input, batchAxis)}.");
    }

    private static string FixedDims(ModelInputSpec input, int batchAxis)
    {
        var dims = Enumerable.Range(0, input.Dims.Count).Where(i => i != batchAxis).Select(input.DimText).ToArray();
        return dims.Length == 0 ? "" : " shaped [" + string.Join(",", dims) + "]";
    }

    /// <summary>
    /// A batch tensor of <paramref name="n"/> samples from <paramref name="values"/> laid out sample-major; when the
    /// input's batch axis is not the first, samples are moved to it (a recurrent state [layers,batch,hidden]).
    /// </summary>
    public static BatchTensor Stack(ModelInputSpec input, long[] sampleShape, Array values, int n)
    {
        if (input.IsScalar)
            return new BatchTensor(input.Name, input.Type, [], values, -1);
        int axis = Math.Clamp(input.BatchAxis, 0, sampleShape.Length);
        long[] shape = [.. sampleShape[..axis], n, .. sampleShape[axis..]];
        if (axis == 0)
            return new BatchTensor(input.Name, input.Type, shape, values, 0);
        long outer = 1, inner = 1;
        for (int k = 0; k < axis; k++) outer *= sampleShape[k];
        for (int k = axis; k < sampleShape.Length; k++) inner *= sampleShape[k];
        var moved = Array.CreateInstance(values.GetType().GetElementType()!, values.LongLength);
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < n; i++)
                Array.Copy(values, (i * outer + o) * inner, moved, (o * n + i) * inner, inner);
        return new BatchTensor(input.Name, input.Type, shape, moved, axis);
    }

    /// <summary>Class labels from integer values, checked to fit an int.</summary>
    public static int[] Labels(ReadOnlySpan<long> values, string origin)
    {
        var labels = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
            labels[i] = values[i] is >= 0 and <= int.MaxValue ? (int)values[i] : throw new ShrinkException($"{origin}: label {values[i]} is not a class index.");
        return labels;
    }
}
