using Shrink.Data;

namespace Shrink.Runtime;

/// <summary>
/// Runs a model on a batch as its users run it: once (<see cref="ModelSession"/>), or in a loop such as a decoder fed
/// its own cache token by token. Either way one output tensor per model output comes back, in <see cref="OutputNames"/> order.
/// </summary>
public interface IModelRunner
{
    /// <summary>The model's name for messages (its path).</summary>
    string DisplayName { get; }

    /// <summary>The model's output names, in order.</summary>
    IReadOnlyList<string> OutputNames { get; }

    /// <summary>Runs a batch and returns every output as floats with its shape.</summary>
    IReadOnlyList<OutputTensor> Run(DataBatch batch);
}
