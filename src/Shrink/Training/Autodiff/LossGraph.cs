using Shrink.Model;

namespace Shrink.Training.Autodiff;

/// <summary>A loss appended to a graph: the scalar's name and the extra inputs it reads.</summary>
public sealed record LossGraph(string Loss, IReadOnlyList<ValueInfo> Inputs);
