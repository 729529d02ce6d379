namespace Shrink.Methods.Pruning.Structured;

/// <summary>The tolerance the fair schedule chose to reach the target, and its count per group.</summary>
/// <param name="Alpha">The tolerance of difference α shared by every group: the smallest that reaches the target.</param>
/// <param name="Scale">
/// 1, unless even α = 0 (the two scores agreeing exactly) removes more than the target asks: then every group's α = 0
/// count is scaled by this factor in [0, 1) to land on the target.
/// </param>
/// <param name="Groups">One entry per group the schedule cut, in graph order.</param>
public sealed record FairScheduleResult(double Alpha, double Scale, IReadOnlyList<FairGroupCount> Groups);
