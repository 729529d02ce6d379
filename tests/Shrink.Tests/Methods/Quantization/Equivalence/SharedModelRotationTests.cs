using Shrink.Data;
using Shrink.Methods.Quantization.Equivalence;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Runtime;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

/// <summary>Rotations on the reference models keep the float function (EquivalenceTransforms.Apply checks it to 1e-4 and throws otherwise).</summary>
public class SharedModelRotationTests
{
    [SharedFact(needsFashionMnist: true)]
    public void Rotations_keep_the_function_of_the_reference_models()
    {
        var cases = new (string Model, RotationKind Kind, int MinimumRotated)[]
        {
            ("tiny_gpt", RotationKind.Hadamard, 17),
            ("tiny_mamba", RotationKind.Hadamard, 13),
            ("tiny_mamba", RotationKind.KltHadamard, 13),
            ("vit_tiny", RotationKind.Hadamard, 17),
            ("cnn_small", RotationKind.Hadamard, 1),
            ("resnet8", RotationKind.KltHadamard, 1),
            ("tiny_ddpm", RotationKind.Hadamard, 1),
        };
        var failures = new List<string>();
        foreach (var (name, kind, minimum) in cases)
        {
            string path = Path.Combine(RepoPaths.SharedModels, name + ".onnx");
            var model = OnnxModel.Load(path);
            PreparationProfile.Compression.Apply(model);
            var inputs = ModelInputs.Of(model);
            bool images = name is "vit_tiny" or "cnn_small" or "resnet8";
            var options = images
                ? new DataOptions { Preprocessing = Preprocessing.LoadSidecar(path)! }
                : name == "tiny_ddpm" ? new DataOptions() : new DataOptions { NextTokenWindows = true };
            // tiny_ddpm's inputs (noisy image x, timestep t) are random here: enough to compare two float models, nothing about accuracy.
            string data = images ? FashionMnist.TestImages : name == "tiny_ddpm" ? "random:16" : Path.Combine(RepoPaths.SharedModels, "tiny_gpt.calib.npy");
            using var source = FixedBatchDataSource.ForModel(DataSourceFactory.Open(data, options, inputs), inputs);
            var result = EquivalenceTransforms.Apply(model, new EquivalenceContext
            {
                Options = new EquivalenceOptions { Rotate = kind },
                Target = new EquivalenceTarget(8, true, true, 0, 6, true),
                Data = source,
                Samples = 16,
                BatchSize = 8,
                Source = name,
            }).Single();
            int rotated = result.Layers.Count(l => l.Applied);
            if (!(result.FunctionChange <= EquivalenceTransforms.FunctionTolerance) || rotated < minimum)
                failures.Add($"{name} {kind}: change {result.FunctionChange:G3}, {rotated} input(s) rotated");
        }
        Assert.Empty(failures);
    }
}
