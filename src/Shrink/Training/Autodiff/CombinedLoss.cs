using System.Globalization;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Training.Autodiff;

/// <summary>A weighted sum of losses (e.g. distillation plus a fraction of the labels' cross-entropy); each term's extra inputs are declared.</summary>
public sealed record CombinedLoss(IReadOnlyList<(LossSpec Loss, double Weight)> Terms) : LossSpec
{
    /// <inheritdoc />
    public override LossGraph Append(OnnxModel model, GraphEmitter emitter)
    {
        ArgumentNullException.ThrowIfNull(emitter);
        if (Terms.Count == 0) throw new ShrinkException("A combined loss needs at least one term.");
        string? sum = null;
        var inputs = new List<ValueInfo>();
        foreach (var (loss, weight) in Terms)
        {
            if (!(weight > 0) || double.IsInfinity(weight))
                throw new ShrinkException($"A loss weight must be a positive number (got {weight.ToString(CultureInfo.InvariantCulture)}).");
            var term = loss.Append(model, emitter);
            inputs.AddRange(term.Inputs);
            string weighted = weight == 1 ? term.Loss : emitter.Mul(term.Loss, emitter.Scalar((float)weight));
            sum = sum is null ? weighted : emitter.Add(sum, weighted);
        }
        return new LossGraph(sum!, inputs);
    }
}
