namespace Shrink.Training.Quantization;

/// <summary>
/// What a trainer should do with one parameter of a QAT model beyond its plain update.
/// </summary>
/// <param name="Name">The parameter (a float initializer of <see cref="QatModel.Model"/>).</param>
/// <param name="Role">What it is.</param>
/// <param name="LearningRateScale">
/// Multiplies the learning rate of this parameter: 1 for weights and biases, LSQ's gradient scale g = 1/√(N·Qp) for
/// scales (N the elements one scale serves: per channel for weights, per sample for activations; Qp the positive
/// levels). With plain SGD scaling the learning rate equals scaling the gradient, as LSQ writes it.
/// </param>
/// <param name="Minimum">A floor to clamp the parameter to after each update (scales must stay positive), or null.</param>
public sealed record ParameterHint(string Name, ParameterRole Role, double LearningRateScale, float? Minimum);
