using Shrink.Data;
using Shrink.Model;

namespace Shrink.Methods;

/// <summary>
/// A whole compression method (static quantization, channel pruning, low rank...) without its option and result types:
/// what <see cref="CompressionMethods.Registry"/> holds, so that the CLI, recipes (<c>steps[].method</c>) and docs list,
/// check and run methods by one name. Derive from <see cref="CompressionMethod{TOptions, TResult}"/>, not this.
/// </summary>
public interface ICompressionMethod
{
    /// <summary>The registered name (also the step name in recipes).</summary>
    string Name { get; }

    /// <summary>The options record the method takes (immutable, with a <c>Validate()</c> for cross-field rules).</summary>
    Type OptionsType { get; }

    /// <summary>The result record the method returns; it carries the compressed model (<see cref="ICompressionResult.Model"/>).</summary>
    Type ResultType { get; }

    /// <summary>Whether the method needs calibration data with <paramref name="options"/> (an instance of <see cref="OptionsType"/>).</summary>
    bool NeedsData(object options);

    /// <summary>
    /// Checks <paramref name="options"/> before any work: the record's own <c>Validate()</c>, then the method's checks
    /// (ranges, names against the registries); throws <see cref="ShrinkException"/> naming the bad one.
    /// </summary>
    void Validate(object options);

    /// <summary>Node names the options refer to (checked against the model before anything runs).</summary>
    IEnumerable<string> NodeNames(object options);

    /// <summary>
    /// Runs the method on <paramref name="model"/> with <paramref name="options"/> (an instance of <see cref="OptionsType"/>);
    /// <paramref name="data"/> opens the calibration data for the model's inputs (null: none given).
    /// </summary>
    /// <exception cref="ShrinkException">Bad options, a model the method cannot handle, or data it needs and was not given.</exception>
    ICompressionResult Apply(OnnxModel model, object options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null);
}

/// <summary>A compression method with its typed options and result; see <see cref="CompressionMethod{TOptions, TResult}"/>.</summary>
public interface ICompressionMethod<in TOptions, out TResult> : ICompressionMethod
    where TOptions : class
    where TResult : ICompressionResult
{
    /// <summary>Runs the method; see <see cref="ICompressionMethod.Apply"/>.</summary>
    TResult Apply(OnnxModel model, TOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null);
}
