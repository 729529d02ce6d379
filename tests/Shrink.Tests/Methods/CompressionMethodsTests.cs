using Shrink.Methods;
using Shrink.Methods.Pruning.Sparsity;
using Shrink.Methods.Quantization;
using Shrink.Methods.Quantization.Dynamic;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods;

/// <summary>Registered methods run their drivers unchanged and declare their option and result types.</summary>
public class CompressionMethodsTests
{
    private static OnnxModel Mlp() => OnnxModel.FromProto(TinyModels.MatMulReluAdd(inFeatures: 32, outFeatures: 16));

    [Fact]
    public void A_method_by_name_writes_the_same_model_as_its_driver()
    {
        var options = new StaticQuantizationOptions();
        var method = CompressionMethods.Create("quantize-dynamic");
        var viaMethod = method.Apply(Mlp(), options, data: null);
        var viaDriver = new DynamicQuantizer(options).Quantize(Mlp());
        Assert.IsType<QuantizationResult>(viaMethod);
        Assert.Equal(viaDriver.Model.ToByteArray(), viaMethod.Model.ToByteArray());

        var weights = new WeightOnlyOptions { Method = "rtn", Bits = 4, GroupSize = 16 };
        Assert.Equal(new WeightOnlyQuantizer(weights).Quantize(Mlp(), null).Model.ToByteArray(),
            CompressionMethods.Create("weight-only").Apply(Mlp(), weights, null).Model.ToByteArray());
    }

    [Fact]
    public void Methods_declare_their_option_and_result_records()
    {
        var sparsity = CompressionMethods.Create("sparsity");
        Assert.Equal(typeof(SparsityOptions), sparsity.OptionsType);
        Assert.Equal(typeof(SparsityResult), sparsity.ResultType);
        Assert.True(CompressionMethods.Create("quantize").NeedsData(new StaticQuantizationOptions()));
        Assert.False(sparsity.NeedsData(new SparsityOptions()));
    }

    [Fact]
    public void Options_of_another_method_are_refused_naming_both()
    {
        var e = Assert.Throws<ArgumentException>(() => CompressionMethods.Create("sparsity").Apply(Mlp(), new StaticQuantizationOptions(), null));
        Assert.Contains("The sparsity method", e.Message);
        Assert.Contains(nameof(SparsityOptions), e.Message);
    }

    [Fact]
    public void Static_quantization_without_data_is_refused()
    {
        var e = Assert.Throws<ShrinkException>(() => new StaticQuantizationMethod().Apply(Mlp(), new StaticQuantizationOptions(), null));
        Assert.Contains("calibration data", e.Message);
    }
}
