using System.Reflection;
using Shrink.Ops;

namespace Shrink.Bench.Training;

/// <summary>
/// Puts a <see cref="ConvBackward"/> of a chosen weight-gradient form on the catalog's Conv schema, so one process can
/// build the same training graph with each form and time them. Benchmark only: the schema's rule is init-only, so it is
/// set through its backing field; the catalog's lookup is checked to see the change.
/// </summary>
internal static class ConvRule
{
    public static void Use(ConvWeightGradient form)
    {
        var field = typeof(OpSchema).GetField("<Backward>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("OpSchema.Backward is no longer an auto-property; update ConvRule.");
        field.SetValue(ConvSchemas.Conv, new ConvBackward(form));
        if (OpCatalog.Find(OpTypes.Conv, "")?.Backward is not ConvBackward { } rule || rule.WeightGradient != form)
            throw new InvalidOperationException("the catalog's Conv rule did not change.");
    }
}
