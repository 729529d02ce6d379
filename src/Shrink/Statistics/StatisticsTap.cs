using Shrink.Model;

namespace Shrink.Statistics;

/// <summary>A model the runner runs on every batch, with the requested tensors exposed as outputs of a copy.</summary>
/// <param name="Model">The model; it is never modified.</param>
/// <param name="ComputeOnlyRequested">
/// True: the copy keeps only the nodes the requested tensors depend on, so the layers after them are not run
/// (see <see cref="OnnxModel.WithOnlyOutputs"/>). False: the whole model runs with the tensors added as outputs.
/// </param>
public sealed record StatisticsTap(OnnxModel Model, bool ComputeOnlyRequested = false);
