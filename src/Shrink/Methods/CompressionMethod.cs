using System.Reflection;
using Shrink.Data;
using Shrink.Model;
using Shrink.Registration;

namespace Shrink.Methods;

/// <summary>
/// A registered method that runs its driver: the name comes from the class's <see cref="RegisteredAttribute"/>, so a
/// method is one attribute and one call (<paramref name="run"/>).
/// </summary>
public abstract class CompressionMethod<TOptions, TResult>(Func<OnnxModel, TOptions, Func<IReadOnlyList<ModelInputSpec>, IDataSource>?, IProgress<ProgressInfo>?, TResult> run, bool requiresData = false)
    : ICompressionMethod<TOptions, TResult>
    where TOptions : class
    where TResult : ICompressionResult
{
    /// <inheritdoc />
    public string Name => GetType().GetCustomAttribute<RegisteredAttribute>(inherit: false)?.Name
        ?? throw new InvalidOperationException($"{GetType().Name} has no [Registered] name.");

    /// <inheritdoc />
    public bool RequiresData => requiresData;

    /// <inheritdoc />
    public TResult Apply(OnnxModel model, TOptions options, Func<IReadOnlyList<ModelInputSpec>, IDataSource>? data, IProgress<ProgressInfo>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        return run(model, options, data, progress);
    }
}
