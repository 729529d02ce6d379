using System.Globalization;
using Shrink.Model;

namespace Shrink.Data;

/// <summary>Checks, at open time, that a data set's samples fit the model input they feed.</summary>
internal static class DataValidator
{
    /// <summary>
    /// The element type must equal <paramref name="produced"/>; the rank must be the sample rank plus the batch axis,
    /// and fixed dims must match (symbolic dims and the batch axis take anything). An undeclared shape passes.
    /// </summary>
    public static void Check(ModelInputSpec input, long[] sampleShape, ElementType produced, string dataPath)
    {
        if (input.Type != produced)
            throw new ShrinkException($"{dataPath}: model input '{input.Name}' expects {input.Type.OnnxName()} but this data set gives {produced.OnnxName()}.");
        if (input.Dims.Count == 0)
            return;
        bool fits = input.Dims.Count == sampleShape.Length + 1;
        for (int i = 1; fits && i < input.Dims.Count; i++)
            fits = input.Dims[i] is not long d || d == sampleShape[i - 1];
        if (!fits)
            throw new ShrinkException($"{dataPath}: samples have shape {ArrayFile.Format(sampleShape)} (batches [{string.Join(",", sampleShape.Select(d => d.ToString(CultureInfo.InvariantCulture)).Prepend("n"))}]) " +
                $"but model input '{input.Name}' expects {input.ShapeText}; check the layout (NCHW/NHWC), resize and colour settings.");
    }
}
