using System.Diagnostics;
using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;
using Shrink.Runtime;

namespace Shrink.Methods.Quantization.Equivalence;

/// <summary>
/// The equivalence transforms by name (every <see cref="IEquivalenceTransform"/> marked <see cref="RegisteredAttribute"/>)
/// and the one place that runs them, in a fixed order: equalize, smooth, rotate, then bias correction (which needs the
/// final weights). Each function-preserving transform is checked: the rewritten float model must give the original's
/// outputs on a calibration batch.
/// </summary>
public static class EquivalenceTransforms
{
    /// <summary>The registered transforms.</summary>
    public static Registry<IEquivalenceTransform> Registry { get; } = Registry<IEquivalenceTransform>.Discover("equivalence transform");

    /// <summary>Largest relative output change a function-preserving rewrite may cause in float (rounding only).</summary>
    public const double FunctionTolerance = 1e-4;

    /// <summary>The registered names the options ask for, in the order they run.</summary>
    public static IReadOnlyList<string> Selected(EquivalenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var names = new List<string>();
        if (options.Equalize) names.Add("equalize");
        if (options.Smooth) names.Add("smooth");
        if (options.Rotate != RotationKind.None) names.Add("rotate");
        if (options.BiasCorrection != BiasCorrectionKind.None) names.Add("bias-correction");
        return names;
    }

    /// <summary>Whether the selected transforms need calibration data.</summary>
    public static bool NeedData(EquivalenceOptions options) =>
        Selected(options).Any(n => Registry.Create(n).NeedsData(options));

    /// <summary>
    /// Runs the selected transforms on <paramref name="model"/> (the caller's prepared copy) and checks that each one
    /// that should preserve the function does, to <see cref="FunctionTolerance"/>.
    /// </summary>
    /// <exception cref="ShrinkException">A transform failed or changed the float function.</exception>
    public static IReadOnlyList<EquivalenceResult> Apply(OnnxModel model, EquivalenceContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        context.Options.Validate();
        var results = new List<EquivalenceResult>();
        var names = Selected(context.Options);
        if (names.Count == 0) return results;
        var probe = context.Data?.ReadBatches(Math.Min(context.BatchSize, 8), Math.Min(context.Samples, 8)).FirstOrDefault();
        foreach (var name in names)
        {
            var transform = Registry.Create(name);
            if (transform.NeedsData(context.Options) && context.Data is null)
                throw new ShrinkException($"{context.Source}: {name} needs calibration data (--data PATH).");
            var before = probe is null || name == "bias-correction" ? null : Run(model, probe);
            var clock = Stopwatch.StartNew();
            var result = transform.Apply(model, context with { FloatNodes = FloatNodes(results) });
            result = result with { Seconds = result.Seconds > 0 ? result.Seconds : clock.Elapsed.TotalSeconds };
            if (before is not null)
            {
                double change = RelativeChange(before, Run(model, probe!));
                if (!(change <= FunctionTolerance))
                    throw new ShrinkException($"{context.Source}: {name} changed the float model's outputs by {change:G3} (relative), more than {FunctionTolerance:G1}; this is a defect, please report it with the model.");
                result = result with { FunctionChange = change };
            }
            results.Add(result);
        }
        return results;
    }

    /// <summary>The nodes the transforms inserted that the quantizer must leave in float (see <see cref="EquivalenceResult.FloatNodes"/>).</summary>
    public static IReadOnlySet<string> FloatNodes(IEnumerable<EquivalenceResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.SelectMany(r => r.FloatNodes).ToHashSet(StringComparer.Ordinal);
    }

    private static IReadOnlyList<OutputTensor> Run(OnnxModel model, DataBatch batch)
    {
        using var session = ModelSession.Open(model, new RuntimeOptions { Optimize = false });
        return session.Run(batch);
    }

    /// <summary>max over outputs of ‖a − b‖∞ / ‖a‖∞.</summary>
    internal static double RelativeChange(IReadOnlyList<OutputTensor> a, IReadOnlyList<OutputTensor> b)
    {
        double worst = 0;
        for (int o = 0; o < a.Count; o++)
        {
            var x = a[o].Data;
            var y = b[o].Data;
            if (x.Length != y.Length) return double.PositiveInfinity;
            double scale = 0, diff = 0;
            for (int i = 0; i < x.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(x[i]));
                diff = Math.Max(diff, Math.Abs(x[i] - y[i]));
            }
            worst = Math.Max(worst, diff / Math.Max(scale, 1e-12));
        }
        return worst;
    }
}
