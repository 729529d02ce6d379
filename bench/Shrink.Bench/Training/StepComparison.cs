using System.Diagnostics;
using System.Globalization;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Training.Autodiff;

namespace Shrink.Bench.Training;

/// <summary>
/// <c>trainstep-compare MODEL ONNX BATCHDIR FORM[@LEVEL,PATTERN,ARENA]...</c>: our training step with each Conv
/// weight-gradient form (and optionally ORT session setting, as <see cref="SessionTuning.Encode"/> writes it), in one
/// process, the settings taking turns step by step (after warm-up), median ms per setting. Ratios between forms from one run
/// are what compare on a noisy machine; the training benchmark times each form against PyTorch, not against each other.
/// </summary>
internal static class StepComparison
{
    public static int Run(string name, string onnx, string batchDir, IReadOnlyList<string> settings, int rounds = 40)
    {
        var forms = settings.Select(t => Enum.Parse<ConvWeightGradient>(t.Split('@')[0])).ToArray();
        var tunings = settings.Select(t => t.Contains('@', StringComparison.Ordinal) ? SessionTuning.Decode(t.Split('@')[1]) : SessionTuning.Default).ToArray();
        var model = OnnxModel.Load(onnx);
        var batch = RawBatch.Load(batchDir);
        var steps = new List<OrtTrainingStep>();
        for (int i = 0; i < forms.Length; i++)
        {
            ConvRule.Use(forms[i]);
            steps.Add(new OrtTrainingStep(Gradients.Build(model, TrainingModels.Loss(name), TrainingModels.Parameters(model)), batch, tunings[i]));
        }
        ConvRule.Use(ConvWeightGradient.Auto);
        var times = forms.Select(_ => new List<double>()).ToArray();
        for (int r = -3; r < rounds; r++)
        {
            for (int i = 0; i < steps.Count; i++)
            {
                int k = (r & 1) == 0 ? i : steps.Count - 1 - i; // alternate which goes first
                var clock = Stopwatch.StartNew();
                steps[k].Step(first: r == -3);
                if (r >= 0) times[k].Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        double baseline = Median(times[0]);
        for (int i = 0; i < forms.Length; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{settings[i],-24} {Median(times[i]),8:F2} ms  {Median(times[i]) / baseline:F3}× the first"));
        foreach (var s in steps) s.Dispose();
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
