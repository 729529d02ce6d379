using System.Reflection;
using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods;

/// <summary>
/// The base of the registered methods: one class per method, marked <see cref="RegisteredAttribute"/> (its name is the
/// method's name on the command line and in recipes), wrapping the method's driver. It casts the options record once
/// and runs the record's own <c>Validate()</c> before the method's <see cref="Check"/>. Statistics: a method's
/// calibration-data needs are met by its driver today; the statistics runner (<c>Statistics/</c>) will add the requests
/// a method declares here.
/// </summary>
public abstract class CompressionMethod<TOptions, TResult> : ICompressionMethod<TOptions, TResult>
    where TOptions : class
    where TResult : ICompressionResult
{
    /// <inheritdoc />
    public string Name => GetType().GetCustomAttribute<RegisteredAttribute>(inherit: false)?.Name
        ?? throw new InvalidOperationException($"{GetType().Name} has no [Registered] name.");

    /// <inheritdoc />
    public Type OptionsType => typeof(TOptions);

    /// <inheritdoc />
    public Type ResultType => typeof(TResult);

    /// <inheritdoc />
    public bool NeedsData(object options) => NeedsData(Cast(options));

    /// <inheritdoc />
    public void Validate(object options)
    {
        var typed = Cast(options);
        // The record's own cross-field rules, where it has them, are the ones the CLI applies too.
        var own = typeof(TOptions).GetMethod("Validate", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        try
        {
            own?.Invoke(typed, null);
        }
        catch (TargetInvocationException e) when (e.InnerException is ShrinkException inner)
        {
            throw inner;
        }
        Check(typed);
    }

    /// <inheritdoc />
    public IEnumerable<string> NodeNames(object options) => NodeNames(Cast(options));

    /// <inheritdoc />
    public ICompressionResult Apply(OnnxModel model, object options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null) =>
        Apply(model, Cast(options), data, progress);

    /// <inheritdoc />
    public TResult Apply(OnnxModel model, TOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        return Run(model, options, data, progress);
    }

    /// <summary>Whether these options need calibration data.</summary>
    protected abstract bool NeedsData(TOptions options);

    /// <summary>Checks beyond the record's <c>Validate()</c>: names against the registries, ranges the record does not check.</summary>
    protected virtual void Check(TOptions options) { }

    /// <summary>Node names the options refer to.</summary>
    protected abstract IEnumerable<string> NodeNames(TOptions options);

    /// <summary>Runs the method's driver.</summary>
    protected abstract TResult Run(OnnxModel model, TOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress);

    /// <summary>Throws <see cref="ShrinkException"/> with <paramref name="message"/> unless <paramref name="condition"/> holds.</summary>
    protected static void Require(bool condition, string message)
    {
        if (!condition) throw new ShrinkException(message);
    }

    private TOptions Cast(object options) =>
        options as TOptions ?? throw new ArgumentException($"The {Name} method takes {typeof(TOptions).Name}, not {options?.GetType().Name ?? "null"}.", nameof(options));
}
