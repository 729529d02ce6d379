using Shrink.Data;
using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Tests.Evaluation.Tasks;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.Data.DataFixtures;

namespace Shrink.Tests.Methods.Quantization.MixedPrecision;

/// <summary>Sensitivity of a language model: the KL from the float model's next-token distribution at every position.</summary>
public sealed class LanguageModelSensitivityTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("lm")]
    public void A_language_model_is_scored_by_the_per_position_KL(string? task)
    {
        var model = Shrink.Model.OnnxModel.Load(TinyModels.WriteTo(TinyLanguageModel.Build(), _dir.File("lm.onnx")));
        string data = Write(_dir.File("windows.npy"), Npy("<i8", [12, 6], Bytes(TinyLanguageModel.Windows(12, 6))));

        var result = new SensitivityAnalyzer(new SensitivityOptions { Method = "perturbation", Task = task })
            .Analyze(model, inputs => DataSourceFactory.Open(data, new DataOptions(), inputs));

        Assert.Equal("kl-token", result.Loss);
        var head = Assert.Single(result.Layers);
        Assert.True(head.Omega[2] > head.Omega[4] && head.Omega[4] > head.Omega[8] && head.Omega[8] >= 0, string.Join(", ", head.Omega));
    }

    [Fact]
    public void Labels_are_refused_for_a_language_model()
    {
        var model = Shrink.Model.OnnxModel.Load(TinyModels.WriteTo(TinyLanguageModel.Build(), _dir.File("lm.onnx")));
        string data = Write(_dir.File("windows.npy"), Npy("<i8", [4, 6], Bytes(TinyLanguageModel.Windows(4, 6))));

        var e = Assert.Throws<ShrinkException>(() => new SensitivityAnalyzer(new SensitivityOptions { Loss = "ce", Task = "lm" })
            .Analyze(model, inputs => DataSourceFactory.Open(data, new DataOptions(), inputs)));
        Assert.Contains("next-token", e.Message);
    }
}
