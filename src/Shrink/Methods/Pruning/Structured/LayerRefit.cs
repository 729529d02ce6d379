namespace Shrink.Methods.Pruning.Structured;

/// <summary>The least-squares refit of one layer after channel removal.</summary>
/// <param name="Node">The refitted node.</param>
/// <param name="Rows">Calibration rows (output positions) in the fit.</param>
/// <param name="Unknowns">Weights per output channel (input channels × kernel, plus the bias).</param>
/// <param name="RelativeErrorBefore">‖Y − X·W‖² / ‖Y‖² with the weights merely sliced, on the fit rows (Y: the unpruned model's output).</param>
/// <param name="RelativeErrorAfter">The same after the refit.</param>
/// <param name="Note">Why the refit was skipped, when it was.</param>
public sealed record LayerRefit(string Node, long Rows, int Unknowns, double RelativeErrorBefore, double RelativeErrorAfter, string? Note = null);
