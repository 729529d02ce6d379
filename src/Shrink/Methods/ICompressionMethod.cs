using Shrink.Data;
using Shrink.Model;

namespace Shrink.Methods;

/// <summary>
/// A whole compression method (static quantization, channel pruning, low rank...) without its option and result types:
/// what <see cref="CompressionMethods.Registry"/> holds, so that the CLI, recipes and docs can list and run methods by
/// name. Implement <see cref="ICompressionMethod{TOptions, TResult}"/>, not this.
/// </summary>
public interface ICompressionMethod
{
    /// <summary>The registered name (also the step name in recipes).</summary>
    string Name { get; }

    /// <summary>The options record the method takes (immutable, with a <c>Validate()</c> for cross-field rules).</summary>
    Type OptionsType { get; }

    /// <summary>The result record the method returns; it carries the compressed model (<see cref="ICompressionResult.Model"/>).</summary>
    Type ResultType { get; }

    /// <summary>Whether <see cref="Apply"/> refuses to run without calibration data.</summary>
    bool RequiresData { get; }

    /// <summary>
    /// Runs the method on <paramref name="model"/> with <paramref name="options"/> (an instance of <see cref="OptionsType"/>);
    /// <paramref name="data"/> opens the calibration data for the model's inputs (null: none given).
    /// </summary>
    /// <exception cref="ShrinkException">Bad options, a model the method cannot handle, or data it needs and was not given.</exception>
    ICompressionResult Apply(OnnxModel model, object options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null);
}

/// <summary>
/// A compression method with its typed options and result: one class per method, marked
/// <see cref="Registration.RegisteredAttribute"/>, wrapping the method's driver (adding a method is one new file plus
/// the driver). Statistics: the method's calibration-data needs are met by its driver today; the statistics runner
/// (<c>Statistics/</c>) will add the requests a method declares here, as a member of this interface.
/// </summary>
public interface ICompressionMethod<in TOptions, out TResult> : ICompressionMethod
    where TOptions : class
    where TResult : ICompressionResult
{
    /// <summary>Runs the method; see <see cref="ICompressionMethod.Apply"/>.</summary>
    TResult Apply(OnnxModel model, TOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null);

    Type ICompressionMethod.OptionsType => typeof(TOptions);

    Type ICompressionMethod.ResultType => typeof(TResult);

    ICompressionResult ICompressionMethod.Apply(OnnxModel model, object options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress) =>
        Apply(model, options as TOptions ?? throw new ArgumentException($"The {Name} method takes {typeof(TOptions).Name}, not {options?.GetType().Name ?? "null"}.", nameof(options)), data, progress);
}
