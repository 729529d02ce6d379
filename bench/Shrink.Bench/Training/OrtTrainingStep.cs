using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Shrink.Training.Autodiff;

namespace Shrink.Bench.Training;

/// <summary>
/// One training step on a <see cref="TrainingGraph"/> in ONNX Runtime: forward + backward as one run of the training
/// graph (inputs, parameters and gradient outputs bound once to managed arrays, so a step allocates nothing), then SGD
/// with momentum in C# over the parameters with TensorPrimitives (v = μ·v + g; w −= lr·v, as torch.optim.SGD).
/// The benchmark's own small loop, not the trainer (Shrink.Training.FineTuning).
/// </summary>
internal sealed class OrtTrainingStep : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _run = new();
    private readonly List<OrtValue> _values = [];
    private readonly float[][] _weights, _gradients, _velocity;
    private readonly float[] _loss = new float[1];
    private readonly float _lr, _momentum;

    public OrtTrainingStep(TrainingGraph graph, RawBatch batch, SessionTuning tuning, float lr = 0.01f, float momentum = 0.9f)
    {
        _lr = lr;
        _momentum = momentum;
        _session = new InferenceSession(graph.Model.ToByteArray(), tuning.Options());
        _binding = _session.CreateIoBinding();
        foreach (var name in graph.Inputs.Concat(graph.LossInputs.Select(i => i.Name)))
        {
            var array = batch.Arrays.GetValueOrDefault(name) ?? throw new ShrinkException($"the batch has no array '{name}' for the training graph's input.");
            Bind(name, array.ToOrtValue(), input: true);
        }
        int n = graph.Parameters.Count;
        _weights = new float[n][];
        _gradients = new float[n][];
        _velocity = new float[n][];
        for (int i = 0; i < n; i++)
        {
            var initial = graph.InitialValues[graph.Parameters[i]];
            long[] dims = [.. initial.Dims];
            _weights[i] = initial.ToFloatArray();
            _gradients[i] = new float[_weights[i].Length];
            _velocity[i] = new float[_weights[i].Length];
            Bind(graph.Parameters[i], OrtValue.CreateTensorValueFromMemory(_weights[i], dims), input: true);
            Bind(graph.GradientOutputs[i], OrtValue.CreateTensorValueFromMemory(_gradients[i], dims), input: false);
        }
        Bind(graph.Loss, OrtValue.CreateTensorValueFromMemory(_loss, []), input: false);
        Parameters = graph.Parameters;
    }

    public IReadOnlyList<string> Parameters { get; }

    /// <summary>The gradients of the last run, by parameter index.</summary>
    public IReadOnlyList<float[]> Gradients => _gradients;

    /// <summary>The loss of the last run.</summary>
    public float Loss => _loss[0];

    private void Bind(string name, OrtValue value, bool input)
    {
        _values.Add(value);
        if (input) _binding.BindInput(name, value);
        else _binding.BindOutput(name, value);
    }

    /// <summary>Forward and backward only: fills <see cref="Gradients"/> and <see cref="Loss"/>.</summary>
    public void ComputeGradients()
    {
        _session.RunWithBinding(_run, _binding);
    }

    /// <summary>Forward, backward and the SGD-with-momentum update; first step: v = g.</summary>
    public void Step(bool first)
    {
        ComputeGradients();
        for (int i = 0; i < _weights.Length; i++)
        {
            if (first) _gradients[i].CopyTo(_velocity[i], 0);
            else TensorPrimitives.MultiplyAdd(_velocity[i], _momentum, _gradients[i], _velocity[i]);
            TensorPrimitives.MultiplyAdd(_velocity[i], -_lr, _weights[i], _weights[i]);
        }
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var v in _values) v.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}
