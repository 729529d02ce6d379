using Shrink.Model;

namespace Shrink.Methods;

/// <summary>What every compression method returns: the compressed model (in memory, not yet written) and its figures.</summary>
public interface ICompressionResult
{
    /// <summary>The compressed model.</summary>
    OnnxModel Model { get; }
}
