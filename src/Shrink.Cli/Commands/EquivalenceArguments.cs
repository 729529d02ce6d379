using System.CommandLine;
using System.Globalization;
using Shrink.Methods.Quantization.Equivalence;

namespace Shrink.Cli.Commands;

/// <summary>The options of the function-preserving rewrites run before quantizing: --smooth, --rotate, --equalize, --bias-correction, --rotation-seed.</summary>
internal sealed class EquivalenceArguments
{
    /// <summary>--smooth [α|auto].</summary>
    public Option<string?> Smooth { get; } = new("--smooth")
    {
        Description = "SmoothQuant: move activation outliers into the weights with per-channel scales folded into the preceding op; α in [0, 1], or auto (the default when no value is given: α searched per layer on the calibration data)",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>--rotate hadamard|klt|klt+hadamard.</summary>
    public Option<string?> Rotate { get; } = new("--rotate")
    {
        Description = "Rotate residual streams and layer inputs by an orthogonal matrix folded into the weights (function unchanged, outliers spread): hadamard (QuaRot), klt (activation covariance eigenvectors) or klt+hadamard (MambaQuant)",
    };

    /// <summary>--equalize.</summary>
    public Option<bool> Equalize { get; } = new("--equalize") { Description = "Cross-layer equalization: rescale channels across Conv → (ReLU) → Conv pairs (depthwise included) so per-tensor weight ranges match" };

    /// <summary>--bias-correction empirical|analytic.</summary>
    public Option<string?> BiasCorrection { get; } = new("--bias-correction")
    {
        Description = "Correct the mean output shift weight quantization causes: empirical (layer input means on the calibration data) or analytic (data-free, from the preceding BatchNormalization)",
    };

    /// <summary>--rotation-seed N.</summary>
    public Option<int> Seed { get; } = new("--rotation-seed") { Description = "Seed of the randomized Hadamard sign flips", DefaultValueFactory = _ => 0 };

    /// <summary>The options with their allowed values.</summary>
    public EquivalenceArguments()
    {
        Rotate.AcceptOnlyFromAmong("hadamard", "klt", "klt+hadamard");
        BiasCorrection.AcceptOnlyFromAmong("empirical", "analytic");
    }

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Smooth);
        command.Options.Add(Rotate);
        command.Options.Add(Equalize);
        command.Options.Add(BiasCorrection);
        command.Options.Add(Seed);
    }

    /// <summary>Whether any of them was given.</summary>
    public bool Given(ParseResult parse) =>
        parse.GetResult(Smooth) is { Implicit: false } || parse.GetValue(Rotate) is not null || parse.GetValue(Equalize) || parse.GetValue(BiasCorrection) is not null;

    /// <summary>The options record; a malformed value is a usage error naming the option.</summary>
    public EquivalenceOptions Bind(ParseResult parse)
    {
        bool smooth = parse.GetResult(Smooth) is { Implicit: false };
        double? alpha = null;
        if (smooth && parse.GetValue(Smooth) is string value && !value.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double a) || !(a >= 0 && a <= 1))
                throw new UsageException($"--smooth takes α in [0, 1] or auto, not '{value}'.");
            alpha = a;
        }
        if (parse.GetResult(Seed) is { Implicit: false } && parse.GetValue(Rotate) is null)
            throw new UsageException("--rotation-seed applies to --rotate.");
        return new EquivalenceOptions
        {
            Smooth = smooth,
            SmoothAlpha = alpha,
            Rotate = parse.GetValue(Rotate) switch { "hadamard" => RotationKind.Hadamard, "klt" => RotationKind.Klt, "klt+hadamard" => RotationKind.KltHadamard, _ => RotationKind.None },
            Equalize = parse.GetValue(Equalize),
            BiasCorrection = parse.GetValue(BiasCorrection) switch { "empirical" => BiasCorrectionKind.Empirical, "analytic" => BiasCorrectionKind.Analytic, _ => BiasCorrectionKind.None },
            Seed = parse.GetValue(Seed),
        };
    }
}
