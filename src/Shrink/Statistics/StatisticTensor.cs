namespace Shrink.Statistics;

/// <summary>A tensor a request observes.</summary>
/// <param name="Tap">Index of the model among the runner's taps (0: the primary model, the one measured for the memory plan).</param>
/// <param name="Name">The value's name in that model; a graph input is read from the batch, anything else is exposed as an output.</param>
/// <param name="Key">
/// On taps after the first: the primary-model tensor this one is paired with; it is observed in the same pass as that
/// tensor when the memory plan splits the tensors into several passes (null: the first pass).
/// </param>
public sealed record StatisticTensor(int Tap, string Name, string? Key = null);
