using Shrink.Methods.Quantization.Equivalence;
using Shrink.Model;
using Shrink.Passes;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Quantization.Equivalence;

public class SmoothingPlacesTests
{
    [SharedFact]
    public void TinyGptSmoothsTheLayerNormAndGeluOutputsAndSkipsTheAttentionProjections()
    {
        var (places, skipped) = Find("tiny_gpt.onnx");

        // per block: ln1 → qkv, ln2 → fc1, GELU's trailing Mul(0.5) → fc2; then ln_f → head
        Assert.Equal(13, places.Count);
        Assert.Equal(4, places.Count(p => p.Absorber.Node.OpType == "LayerNormalization" && p.Readers.Single().Name.EndsWith("qkv/MatMul", StringComparison.Ordinal)));
        Assert.Equal(4, places.Count(p => p.Readers.Single().Name.EndsWith("fc2/MatMul", StringComparison.Ordinal) && p.Absorber.Node.OpType == "Mul"));
        Assert.Equal(4, skipped.Count);
        Assert.All(skipped, s => Assert.Contains("(Reshape)", s.Reason));
        Assert.All(skipped, s => Assert.EndsWith("proj/MatMul", s.Node, StringComparison.Ordinal));
    }

    [SharedFact]
    public void VitTinySmoothsItsDecomposedLayerNorms()
    {
        var (places, _) = Find("vit_tiny.onnx");

        var norms = places.Where(p => p.Absorber.Vectors.Count == 2).ToList();
        Assert.Equal(8, norms.Count); // n1 → qkv and n2 → MLP in, in 4 blocks: γ (Mul) and β (Add)
        Assert.All(norms, p => Assert.Equal(["Mul", "Add"], p.Absorber.Vectors.Select(v => v.Node.OpType)));
    }

    [SharedFact]
    public void TinyMambaSmoothsTheRmsNormOutputsAndNamesWhyTheOthersCannot()
    {
        var (places, skipped) = Find("tiny_mamba.onnx");

        Assert.Equal(5, places.Count); // four in_proj and the head, behind RMSNorm's Mul(γ)
        Assert.All(places, p => Assert.Matches(@"/(norm|norm_f)/Mul_1$", p.Absorber.Node.DisplayName));
        Assert.All(skipped.Where(s => s.Node.EndsWith("out_proj/MatMul", StringComparison.Ordinal)), s => Assert.Contains("multiplies two computed values", s.Reason));
        Assert.Equal(12, skipped.Count);
    }

    private static (List<SmoothingPlace> Places, List<(string Node, string Tensor, int Channels, string Reason)> Skipped) Find(string name)
    {
        var model = OnnxModel.Load(Path.Combine(RepoPaths.SharedModels, name));
        PreparationProfile.Compression.Apply(model);
        return SmoothingPlaces.Find(model.Graph);
    }
}
