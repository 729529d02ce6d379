namespace Shrink.Cli.Json;

/// <summary><c>--json</c>'s <c>qat</c> node.</summary>
internal sealed record QatJson(double PtqOutputSqnrDb, double PtqTop1Agreement, double QatOutputSqnrDb, double QatTop1Agreement, long Samples,
    int WeightQuantizers, int ActivationQuantizers, FineTuneJson FineTune);
