using System.Globalization;
using System.Text.RegularExpressions;

namespace Shrink.Tests.TestSupport;

/// <summary>The fp32 accuracies stated in <c>../shared/models/README.md</c>, read from its table (not copied into tests).</summary>
internal static partial class SharedModelFacts
{
    public static double StatedAccuracy(string modelFile)
    {
        string readme = File.ReadAllText(Path.Combine(RepoPaths.SharedModels, "README.md"));
        foreach (var line in readme.Split('\n'))
        {
            if (!line.StartsWith($"| {modelFile} |", StringComparison.Ordinal)) continue;
            var m = LastNumber().Match(line);
            if (m.Success) return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"No accuracy for {modelFile} in the shared models README.");
    }

    [GeneratedRegex(@"\|\s*(0\.\d+)\s*\|\s*$")]
    private static partial Regex LastNumber();
}
