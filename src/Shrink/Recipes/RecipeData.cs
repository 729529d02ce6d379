namespace Shrink.Recipes;

/// <summary>
/// The calibration data of a <see cref="Recipe"/>, with the preprocessing the CLI's data flags set (each property is one
/// flag: <c>path</c> is <c>--data</c>, <c>input_shape</c> is <c>--input-shape</c>...). Unset properties take the model's
/// preprocessing sidecar or the defaults, as with the flags.
/// </summary>
public sealed record RecipeData
{
    /// <summary>Samples: an IDX images file, a .npy file, an image folder, or <c>random:N</c> (<c>--data</c>).</summary>
    public required string Path { get; init; }

    /// <summary>Labels file (<c>--labels</c>).</summary>
    public string? Labels { get; init; }

    /// <summary>The model input the data feeds (<c>--input</c>).</summary>
    public string? Input { get; init; }

    /// <summary>NCHW or NHWC (<c>--layout</c>).</summary>
    public string? Layout { get; init; }

    /// <summary>Multiplier applied to raw values first (<c>--scale</c>).</summary>
    public float? Scale { get; init; }

    /// <summary>Per-channel mean (<c>--mean</c>).</summary>
    public IReadOnlyList<float>? Mean { get; init; }

    /// <summary>Per-channel standard deviation (<c>--std</c>).</summary>
    public IReadOnlyList<float>? Std { get; init; }

    /// <summary>Image size as HxW (<c>--resize</c>).</summary>
    public string? Resize { get; init; }

    /// <summary>keep, grayscale or rgb (<c>--color</c>).</summary>
    public string? Color { get; init; }

    /// <summary>Sizes of symbolic input dims for random data, by input name (<c>--input-shape</c>).</summary>
    public IReadOnlyDictionary<string, long[]>? InputShape { get; init; }

    /// <summary>Value range [lo, hi] of an input's random data, by input name (<c>--input-range</c>).</summary>
    public IReadOnlyDictionary<string, double[]>? InputRange { get; init; }

    /// <summary>The batch axis of an input, by name (<c>--batch-axis</c>).</summary>
    public IReadOnlyDictionary<string, int>? BatchAxis { get; init; }

    /// <summary>Seed for random data (<c>--seed</c>).</summary>
    public int Seed { get; init; }
}
