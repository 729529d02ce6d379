using Shrink.Model;

namespace Shrink.Training.Quantization;

/// <summary>
/// What every quantization-aware training model hands the trainer: the float training model, its trainable parameters
/// with their roles and per-parameter hints, and the stop-gradient values that make each fake quantizer's rounding a
/// straight-through estimator. <see cref="QatModel"/> (QDQ) and <see cref="WeightOnlyQatModel"/> (MatMulNBits) add how
/// the trained values go back into the PTQ model they came from (<see cref="Ptq"/>).
/// </summary>
public abstract class QatTrainingModel
{
    private protected QatTrainingModel(OnnxModel ptq, OnnxModel model, IReadOnlyList<(string Name, ParameterRole Role, ParameterHint Hint)> parameters, IReadOnlyList<string> stopGradient)
    {
        Ptq = ptq.Clone();
        Model = model;
        Parameters = [.. parameters.Select(p => p.Name)];
        Roles = parameters.ToDictionary(p => p.Name, p => p.Role, StringComparer.Ordinal);
        Hints = parameters.ToDictionary(p => p.Name, p => p.Hint, StringComparer.Ordinal);
        StopGradient = stopGradient;
    }

    /// <summary>The float training model, with fake quantizers where the quantized layers were.</summary>
    public OnnxModel Model { get; }

    /// <summary>The trainable parameters (float initializers of <see cref="Model"/>).</summary>
    public IReadOnlyList<string> Parameters { get; }

    /// <summary>What each parameter is.</summary>
    public IReadOnlyDictionary<string, ParameterRole> Roles { get; }

    /// <summary>
    /// How the trainer treats each parameter (<see cref="FineTuneOptions.Hints"/>): scales get LSQ's gradient scale
    /// 1/√(N·Qp) as a learning-rate factor (N the elements one scale serves, Qp the positive levels), a floor that keeps
    /// them positive and no weight decay; weights and biases the run's defaults.
    /// </summary>
    public IReadOnlyDictionary<string, ParameterHint> Hints { get; }

    /// <summary>The values whose gradient is not propagated (each fake quantizer's Round(c) − c).</summary>
    public IReadOnlyList<string> StopGradient { get; }

    /// <summary>A copy of the PTQ model the training model was made from, which export fills with the trained values.</summary>
    private protected OnnxModel Ptq { get; }
}
