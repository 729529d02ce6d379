using System.Globalization;
using Shrink.Data;
using Shrink.Registration;
using Shrink.Runtime;

namespace Shrink.Evaluation.Tasks;

/// <summary>
/// Perplexity by teacher forcing: each data window of n tokens feeds the model window[:n−1] (<see cref="NextTokenWindows"/>)
/// and the logits output [batch, n−1, vocab] is scored against window[1:]: perplexity = exp(mean next-token NLL), with
/// the log-softmax in double. Positions whose target has attention_mask 0 (padding) are skipped when the data has a mask.
/// </summary>
[Registered("lm", "language model: perplexity of the logits [batch,seq,vocab] by teacher forcing over token windows (input window[:-1], targets window[1:]); lower is better", Order = 1)]
public sealed class LanguageModelTask : EvaluationTask
{
    private readonly PerplexityAccumulator _model = new(), _reference = new();
    private bool _hasReference;

    /// <inheritdoc />
    public override string Name => "lm";

    /// <inheritdoc />
    public override IReadOnlyList<ModelInputSpec> DataInputs(IReadOnlyList<ModelInputSpec> modelInputs) => NextTokenWindows.DataInputs(modelInputs);

    /// <inheritdoc />
    public override DataBatch ModelBatch(DataBatch data) => NextTokenWindows.Inputs(data);

    /// <inheritdoc />
    public override IDataSource ModelData(IDataSource data) => new NextTokenWindows(data);

    /// <inheritdoc />
    public override void Add(TaskBatch batch)
    {
        Score(_model, batch.Data, batch.Outputs, batch.Model);
        if (batch.ReferenceOutputs is { } reference)
        {
            Score(_reference, batch.Data, reference, batch.Reference ?? "the reference");
            _hasReference = true;
        }
    }

    /// <summary>Adds the next-token predictions of one batch of windows to <paramref name="accumulator"/>.</summary>
    /// <exception cref="ShrinkException">No output has the shape of next-token logits, or a target lies outside the vocabulary.</exception>
    public static void Score(PerplexityAccumulator accumulator, DataBatch windows, IReadOnlyList<OutputTensor> outputs, string model)
    {
        var tokens = NextTokenWindows.TokenTensor(windows);
        int predicted = (int)tokens.Shape[1] - 1;
        var logits = Logits(outputs, windows.Count, predicted, model);
        int vocab = (int)logits.Shape[2];
        var mask = windows.Inputs.FirstOrDefault(t => t.Name == "attention_mask" && t.Shape.Length == 2 && t.Shape[1] == tokens.Shape[1]);
        var data = logits.Data.AsSpan();
        for (int r = 0; r < windows.Count; r++)
        {
            for (int p = 0; p < predicted; p++)
            {
                if (mask is not null && NextTokenWindows.Token(mask, r, p + 1) == 0) continue;
                long target = NextTokenWindows.Token(tokens, r, p + 1);
                if (target < 0 || target >= vocab)
                    throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                        $"{model}: token {target} at position {p + 1} of window {r} is outside the vocabulary of the {vocab} logits of output '{logits.Name}'."));
                accumulator.Add(data.Slice(((r * predicted) + p) * vocab, vocab), (int)target);
            }
        }
    }

    private static OutputTensor Logits(IReadOnlyList<OutputTensor> outputs, int count, int predicted, string model)
    {
        bool Fits(OutputTensor o) => o.Shape.Length == 3 && o.Shape[0] == count && o.Shape[1] == predicted && o.Shape[2] > 0;
        return outputs.FirstOrDefault(o => Fits(o) && o.Name.Contains("logit", StringComparison.OrdinalIgnoreCase))
            ?? outputs.FirstOrDefault(Fits)
            ?? throw new ShrinkException(string.Create(CultureInfo.InvariantCulture,
                $"{model}: no output has the shape of next-token logits [{count},{predicted},vocab] for windows of {predicted + 1} tokens; its outputs are {string.Join(", ", outputs.Select(o => $"'{o.Name}' [{string.Join(",", o.Shape)}]"))}. Perplexity (--task lm) needs logits [batch, seq, vocab]."));
    }

    /// <inheritdoc />
    public override IReadOnlyList<TaskMetric> Metrics()
    {
        if (_model.Count == 0) return [];
        double? refPpl = _hasReference ? _reference.Perplexity : null;
        var metrics = new List<TaskMetric>
        {
            new("perplexity", _model.Perplexity, refPpl, LowerIsBetter: true),
            new("nll", _model.MeanNll, _hasReference ? _reference.MeanNll : null, LowerIsBetter: true),
            new("next_token_accuracy", _model.Accuracy, _hasReference ? _reference.Accuracy : null, LowerIsBetter: false, IsFraction: true),
        };
        if (refPpl is double r && r > 0)
            metrics.Add(new("perplexity_increase", (_model.Perplexity / r) - 1, null, LowerIsBetter: true, IsFraction: true));
        return metrics;
    }

    /// <inheritdoc />
    public override IReadOnlyList<string> Notes() =>
        [string.Create(CultureInfo.InvariantCulture, $"perplexity = exp(mean NLL in nats) over {_model.Count:N0} next-token predictions (each window: input = window[:-1], targets = window[1:]).")];
}
