namespace Shrink.Methods.Pruning.Importance;

/// <summary>Where the class of each calibration sample comes from, for class-conditional statistics.</summary>
public enum ClassLabelSource
{
    /// <summary>
    /// The unpruned model's own prediction (arg-max of its first output): no labels file needed, and the classes are the
    /// ones the pruned model should keep telling apart to stay faithful to the original.
    /// </summary>
    Predicted,

    /// <summary>The labels the data set carries (an error when it has none).</summary>
    Data,
}
