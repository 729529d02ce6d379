using System.Globalization;

namespace Shrink.Data;

/// <summary>Which axis of each model input is the batch axis.</summary>
public static class BatchAxes
{
    /// <summary>
    /// Infers each input's batch axis: the symbolic dim shared as the batch by the inputs (a name containing "batch"
    /// first, else the symbol in most inputs, else the one most often at axis 0) is looked up in every input; an input
    /// without it uses axis 0, a scalar none (-1). A recurrent state [layers,batch,hidden] beside x [batch,features] gets 1.
    /// </summary>
    public static IReadOnlyList<ModelInputSpec> Infer(IReadOnlyList<ModelInputSpec> inputs)
    {
        var symbols = inputs.Where(i => !i.IsScalar)
            .SelectMany(i => i.DimNames.Select((s, k) => (Symbol: s, Axis: k, Input: i.Name)))
            .Where(d => !string.IsNullOrEmpty(d.Symbol))
            .GroupBy(d => d.Symbol!, StringComparer.Ordinal)
            .Select(g => (Symbol: g.Key, Batchy: g.Key.Contains("batch", StringComparison.OrdinalIgnoreCase),
                Inputs: g.Select(d => d.Input).Distinct().Count(), AtZero: g.Count(d => d.Axis == 0)))
            .Where(s => s.Batchy || s.AtZero > 0)
            .OrderByDescending(s => s.Batchy).ThenByDescending(s => s.Inputs).ThenByDescending(s => s.AtZero).ThenBy(s => s.Symbol, StringComparer.Ordinal)
            .Select(s => s.Symbol)
            .FirstOrDefault();
        return [.. inputs.Select(i =>
        {
            if (i.IsScalar) return i with { BatchAxis = -1 };
            int axis = symbols is null ? -1 : IndexOf(i.DimNames, symbols);
            return i with { BatchAxis = axis >= 0 ? axis : 0 };
        })];
    }

    /// <summary>Applies <c>--batch-axis name=axis</c> overrides.</summary>
    /// <exception cref="ShrinkException">A name is not an input, the input is a scalar, or the axis is outside its rank.</exception>
    public static IReadOnlyList<ModelInputSpec> Override(IReadOnlyList<ModelInputSpec> inputs, IReadOnlyDictionary<string, int> axes)
    {
        if (axes.Count == 0) return inputs;
        string names = string.Join(", ", inputs.Select(i => $"'{i.Name}'"));
        foreach (var (name, axis) in axes)
        {
            var input = inputs.FirstOrDefault(i => i.Name == name)
                ?? throw new ShrinkException($"--batch-axis names '{name}', but the model's inputs are {names}.");
            if (input.IsScalar)
                throw new ShrinkException($"--batch-axis {name}={axis}: model input '{name}' is a scalar and has no batch axis.");
            if (axis < 0 || (input.Dims.Count > 0 && axis >= input.Dims.Count))
                throw new ShrinkException($"--batch-axis {name}={axis.ToString(CultureInfo.InvariantCulture)}: model input '{name}' {input.ShapeText} has axes 0 to {input.Dims.Count - 1}.");
        }
        return [.. inputs.Select(i => axes.TryGetValue(i.Name, out int a) ? i with { BatchAxis = a } : i)];
    }

    private static int IndexOf(IReadOnlyList<string?> names, string symbol)
    {
        for (int k = 0; k < names.Count; k++)
            if (names[k] == symbol) return k;
        return -1;
    }
}
