using Shrink.Registration;
using Shrink.Runtime;

namespace Shrink.Evaluation.Tasks;

/// <summary>
/// Regression: mean squared and mean absolute error of the first output against the reference's, and against the labels
/// when the data has them and the output holds one value per sample.
/// </summary>
[Registered("regression", "regression: MSE and MAE of the first output vs the reference's, and vs the labels when given (one value per sample)", Order = 3)]
public sealed class RegressionTask : EvaluationTask
{
    private readonly ErrorSums _vsReference = new(), _vsLabels = new(), _refVsLabels = new();
    private bool _hasReference;

    /// <inheritdoc />
    public override string Name => "regression";

    /// <inheritdoc />
    public override void Add(TaskBatch batch)
    {
        var output = batch.Outputs[0];
        if (batch.ReferenceOutputs is { } reference)
        {
            _vsReference.Add(output.Data, reference[0].Data);
            _hasReference = true;
        }
        if (batch.Data.Labels is not { } labels) return;
        var targets = Array.ConvertAll(labels, l => (float)l);
        _vsLabels.Add(Values(output, labels.Length, batch.Model), targets);
        if (batch.ReferenceOutputs is { } r) _refVsLabels.Add(Values(r[0], labels.Length, batch.Reference ?? "the reference"), targets);
    }

    private static float[] Values(OutputTensor output, int count, string model) =>
        output.Data.Length == count ? output.Data
            : throw new ShrinkException($"{model}: output '{output.Name}' [{string.Join(",", output.Shape)}] is not one value per sample, so it cannot be compared with the labels.");

    /// <inheritdoc />
    public override IReadOnlyList<TaskMetric> Metrics()
    {
        var metrics = new List<TaskMetric>();
        if (_hasReference && _vsReference.Count > 0)
        {
            metrics.Add(new("mse_vs_reference", _vsReference.Mse, null, LowerIsBetter: true));
            metrics.Add(new("mae_vs_reference", _vsReference.Mae, null, LowerIsBetter: true));
        }
        if (_vsLabels.Count > 0)
        {
            metrics.Add(new("mse", _vsLabels.Mse, _hasReference ? _refVsLabels.Mse : null, LowerIsBetter: true));
            metrics.Add(new("mae", _vsLabels.Mae, _hasReference ? _refVsLabels.Mae : null, LowerIsBetter: true));
        }
        return metrics;
    }

    /// <summary>Sums of squared and absolute differences, in double.</summary>
    private sealed class ErrorSums
    {
        private double _sq, _abs;

        public long Count { get; private set; }

        public double Mse => _sq / Count;

        public double Mae => _abs / Count;

        public void Add(ReadOnlySpan<float> values, ReadOnlySpan<float> targets)
        {
            if (values.Length != targets.Length)
                throw new ShrinkException($"Regression: {values.Length} values against {targets.Length} targets.");
            for (int i = 0; i < values.Length; i++)
            {
                double d = (double)values[i] - targets[i];
                _sq += d * d;
                _abs += Math.Abs(d);
            }
            Count += values.Length;
        }
    }
}
