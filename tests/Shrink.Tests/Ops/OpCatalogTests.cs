using System.Reflection;
using Shrink.Methods.Quantization.Qdq;
using Shrink.Ops;

namespace Shrink.Tests.Ops;

public class OpCatalogTests
{
    private static IntAttribute Attributes(params (string Name, long Value)[] set) =>
        (name, fallback) => set.FirstOrDefault(a => a.Name == name) is { Name: not null } found ? found.Value : fallback;

    [Fact]
    public void Gemm_with_transB_has_its_output_features_on_weight_axis_0()
    {
        var gemm = OpCatalog.Find("Gemm", "")!;
        var transB = Attributes(("transB", 1));
        Assert.Equal(0, gemm.WeightOutputAxis!(transB));
        Assert.Equal(1, gemm.WeightInputAxis!(transB));
        Assert.Equal(10, gemm.OutputChannels!([10, 64], transB));
        Assert.Equal(64, gemm.InputChannels!([10, 64], transB));
    }

    [Fact]
    public void Gemm_without_transB_stores_its_weight_as_K_by_N()
    {
        var gemm = OpCatalog.Find("Gemm", "ai.onnx")!;
        var none = Attributes();
        Assert.Equal(1, gemm.WeightOutputAxis!(none));
        Assert.Equal(0, gemm.WeightInputAxis!(none));
        Assert.Equal(10, gemm.OutputChannels!([64, 10], none));
        Assert.False(gemm.ReadsInputTransposed(none));
        Assert.True(gemm.ReadsInputTransposed(Attributes(("transA", 1))));
    }

    [Fact]
    public void ConvTranspose_has_output_channels_on_weight_axis_1_times_the_groups()
    {
        var convTranspose = OpCatalog.Find("ConvTranspose", "")!;
        var twoGroups = Attributes(("group", 2));
        Assert.Equal(LayerKind.TransposedConvolution, convTranspose.Layer);
        Assert.Equal(1, convTranspose.WeightOutputAxis!(twoGroups));
        Assert.Equal(0, convTranspose.WeightInputAxis!(twoGroups));
        // W [C=8, M/group=3, 3, 3] with group 2: 6 output channels, 8 input channels.
        Assert.Equal(6, convTranspose.OutputChannels!([8, 3, 3, 3], twoGroups));
        Assert.Equal(8, convTranspose.InputChannels!([8, 3, 3, 3], twoGroups));
        // ORT has no int8 ConvTranspose: QDQ leaves it in float, but BN still folds into it.
        Assert.Equal(QdqRole.NotQuantized, convTranspose.QdqRole);
        Assert.Null(convTranspose.FusesInto);
        Assert.True(convTranspose.FoldsBatchNormalization);
    }

    [Fact]
    public void Conv_reads_weight_axis_1_times_the_groups()
    {
        var conv = OpCatalog.Find("Conv", "")!;
        var twoGroups = Attributes(("group", 2));
        Assert.Equal(0, conv.WeightOutputAxis!(twoGroups));
        Assert.Equal(16, conv.OutputChannels!([16, 4, 3, 3], twoGroups));
        Assert.Equal(8, conv.InputChannels!([16, 4, 3, 3], twoGroups));
        Assert.Equal(1, conv.OutputChannelAxis!(4));
        Assert.Equal("QLinearConv", conv.FusesInto);
    }

    [Fact]
    public void MatMul_counts_output_elements_times_the_reduction()
    {
        var shapes = new Dictionary<int, long[]> { [0] = [2, 5, 64], [1] = [64, 32] };
        var query = new MacQuery(Attributes(), i => shapes.GetValueOrDefault(i), OutputCount: 2 * 5 * 32);
        Assert.Equal(2L * 5 * 32 * 64, OpCatalog.Find("MatMul", "")!.CountMacs!(query));
        Assert.Equal(2, OpCatalog.Find("MatMul", "")!.OutputChannelAxis!(3));
        // The integer MatMuls int8 models are written with count the same as the float MatMul they replace.
        foreach (var op in new[] { "MatMulInteger", "QLinearMatMul", "MatMulIntegerToFloat", "DynamicQuantizeMatMul" })
            Assert.Equal(2L * 5 * 32 * 64, OpCatalog.FindAnyDomain(op)!.CountMacs!(query));
    }

    [Fact]
    public void Gemm_with_transA_takes_its_reduction_from_A_axis_0()
    {
        var shapes = new Dictionary<int, long[]> { [0] = [64, 2], [1] = [64, 10] };
        var query = new MacQuery(Attributes(("transA", 1)), i => shapes.GetValueOrDefault(i), OutputCount: 2 * 10);
        Assert.Equal(20L * 64, OpCatalog.Find("Gemm", "")!.CountMacs!(query));
        var unknownA = new MacQuery(Attributes(), _ => null, OutputCount: 20);
        Assert.Equal(0, OpCatalog.Find("Gemm", "")!.CountMacs!(unknownA));
    }

    [Fact]
    public void Convolutions_count_macs_per_output_and_per_input()
    {
        var shapes = new Dictionary<int, long[]> { [0] = [1, 4, 5, 5], [1] = [4, 3, 3, 3] };
        // ConvTranspose: every input element meets the 3·3·3 weights of its channel.
        Assert.Equal(100L * 27, OpCatalog.Find("ConvTranspose", "")!.CountMacs!(new MacQuery(Attributes(), i => shapes.GetValueOrDefault(i), 999)));
        // Conv: every output element reads C·k·k inputs.
        Assert.Equal(7L * 27, OpCatalog.Find("Conv", "")!.CountMacs!(new MacQuery(Attributes(), i => shapes.GetValueOrDefault(i), 7)));
        Assert.Equal(7L * 128, OpCatalog.FindAnyDomain("MatMulNBits")!.CountMacs!(new MacQuery(Attributes(("K", 128)), _ => null, 7)));
    }

    [Fact]
    public void Lookup_follows_the_domain()
    {
        Assert.Same(OpCatalog.Find("Conv", ""), OpCatalog.Find("Conv", "ai.onnx"));
        Assert.Null(OpCatalog.Find("Conv", "com.microsoft"));
        Assert.NotNull(OpCatalog.Find("MatMulNBits", "com.microsoft"));
        Assert.Null(OpCatalog.Find("MatMulNBits", ""));
        Assert.NotNull(OpCatalog.FindAnyDomain("MatMulNBits"));
        Assert.Null(OpCatalog.Find("Einsum", ""));
        Assert.Null(OpCatalog.FindLayer("Relu", ""));
        Assert.Equal(LayerKind.MatMul, OpCatalog.FindLayer("MatMul", "")!.Layer);
    }

    [Theory]
    [InlineData("Relu", ChannelFlow.PassesThrough)]
    [InlineData("PRelu", ChannelFlow.PassesThrough)]
    [InlineData("Add", ChannelFlow.Ties)]
    [InlineData("Where", ChannelFlow.Ties)]
    [InlineData("BatchNormalization", ChannelFlow.NormalizesPerChannel)]
    [InlineData("GlobalAveragePool", ChannelFlow.Pools)]
    [InlineData("Flatten", ChannelFlow.Reshapes)]
    [InlineData("Transpose", ChannelFlow.Permutes)]
    [InlineData("Concat", ChannelFlow.Concatenates)]
    [InlineData("Softmax", ChannelFlow.NormalizesAlongAxis)]
    [InlineData("Conv", ChannelFlow.Produces)]
    [InlineData("LayerNormalization", ChannelFlow.Blocks)]
    [InlineData("Log", ChannelFlow.Blocks)]
    public void Channel_flow_is_the_pruning_rule(string opType, ChannelFlow flow) =>
        Assert.Equal(flow, OpCatalog.Find(opType, "")!.ChannelFlow);

    [Fact]
    public void Only_PRelu_slices_its_parameters_with_the_channels() =>
        Assert.Equal(["PRelu"], OpCatalog.All.Where(s => s.HasChannelParameters).Select(s => s.OpType));

    // The three lists that used to be kept by hand (QdqOpRegistry.FragileOps, QdqPlanner.QuantizedOps,
    // FusionInspector.IntegerOps) and MacCounter's: pinned, since reports and refusals depend on them.
    [Fact]
    public void Fragile_ops_are_the_ones_QDQ_keeps_in_float_on_purpose() =>
        Assert.Equal(
            ["BatchNormalization", "Div", "Erf", "Exp", "Gelu", "GroupNormalization", "InstanceNormalization", "LayerNormalization", "Log",
             "LogSoftmax", "Mul", "Pow", "ReduceMean", "ReduceSum", "Sigmoid", "Softmax", "Sqrt", "Sub", "Tanh"],
            QdqOpRegistry.FragileOps.Order(StringComparer.Ordinal));

    [Fact]
    public void Quantized_model_ops_are_Q_DQ_and_the_integer_kernels_quantizers_write() =>
        Assert.Equal(
            ["ConvInteger", "DequantizeLinear", "DynamicQuantizeLinear", "DynamicQuantizeMatMul", "GatherBlockQuantized", "MatMulInteger", "MatMulIntegerToFloat",
             "MatMulNBits", "QGemm", "QLinearAdd", "QLinearConv", "QLinearGlobalAveragePool", "QLinearMatMul", "QLinearMul", "QuantizeLinear"],
            OpCatalog.QuantizedModelOps.Order(StringComparer.Ordinal));

    [Fact]
    public void Integer_kernels_are_what_the_fusion_inspector_counts() =>
        Assert.Equal(
            ["ConvInteger", "DynamicQuantizeMatMul", "MatMulInteger", "MatMulIntegerToFloat", "MatMulNBits", "NhwcQLinearConv", "QAttention",
             "QGemm", "QLinearAdd", "QLinearAveragePool", "QLinearConcat", "QLinearConv", "QLinearGlobalAveragePool", "QLinearLeakyRelu",
             "QLinearMatMul", "QLinearMul", "QLinearReduceMean", "QLinearSigmoid", "QLinearSoftmax", "QLinearWhere"],
            OpCatalog.IntegerKernels.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_kernel_an_op_fuses_into_is_an_integer_kernel()
    {
        var fused = OpCatalog.All.Where(s => s.FusesInto is not null).ToList();
        Assert.NotEmpty(fused);
        Assert.All(fused, s => Assert.Contains(s.FusesInto!, OpCatalog.IntegerKernels));
        Assert.All(OpCatalog.All.Where(s => s.QdqRole == QdqRole.QuantizedWeights), s => Assert.NotNull(s.FusesInto));
    }

    [Fact]
    public void The_default_QDQ_registry_registers_the_catalog_roles()
    {
        // Ops a handler claims by name (one file each) are pinned by that handler's own test; the rest follow the roles.
        var claimed = QdqOpRegistry.Handlers.Entries.SelectMany(e => QdqOpRegistry.Handlers.Create(e.Name).ClaimedOpTypes).ToHashSet();
        Assert.Equal(
            ["Add", "AveragePool", "Concat", "Conv", "Flatten", "Gemm", "GlobalAveragePool", "MatMul", "MaxPool", "Reshape", "Squeeze",
             "Transpose", "Unsqueeze"],
            QdqOpRegistry.Default.OpTypes.Where(t => !claimed.Contains(t)).Order(StringComparer.Ordinal));
        Assert.Equal(["binary", "own-scale", "shared-scale", "weighted"],
            QdqOpRegistry.Handlers.Entries.Where(e => QdqOpRegistry.Handlers.Create(e.Name).Role is not null).Select(e => e.Name));
        Assert.IsType<WeightedOpHandler>(QdqOpRegistry.Default.Find("Gemm"));
        Assert.IsType<BinaryOpHandler>(QdqOpRegistry.Default.Find("Add"));
        Assert.IsType<SharedScaleOpHandler>(QdqOpRegistry.Default.Find("MaxPool"));
        Assert.IsType<OwnScaleOpHandler>(QdqOpRegistry.Default.Find("Concat"));
        Assert.Null(QdqOpRegistry.Default.Find("ConvTranspose"));
        Assert.DoesNotContain(QdqOpRegistry.Default.OpTypes, QdqOpRegistry.FragileOps.Contains);
    }

    [Fact]
    public void Mac_counted_ops_are_the_convolutions_and_matrix_products() =>
        Assert.Equal(
            ["Conv", "ConvInteger", "ConvTranspose", "DynamicQuantizeMatMul", "Gemm", "MatMul", "MatMulInteger", "MatMulIntegerToFloat", "MatMulNBits", "QLinearConv", "QLinearMatMul"],
            OpCatalog.MacCounted.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_op_type_constant_has_a_schema_and_every_schema_a_constant()
    {
        var constants = typeof(OpTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);
        Assert.True(constants.Count > 90);
        Assert.DoesNotContain(constants, c => !OpCatalog.Knows(c));
        Assert.DoesNotContain(OpCatalog.All, s => !constants.Contains(s.OpType));
        Assert.Equal(OpCatalog.All.Count, OpCatalog.All.Select(s => s.OpType).Distinct().Count());
    }

    [Fact]
    public void Weighted_ops_name_their_weight_and_bias_slots()
    {
        Assert.Equal(["Conv", "ConvTranspose", "Gemm", "MatMul"], OpCatalog.All.Where(s => s.Layer is not null).Select(s => s.OpType).Order(StringComparer.Ordinal));
        Assert.All(OpCatalog.All.Where(s => s.Layer is not null), s => Assert.Equal(1, s.WeightInput));
        Assert.Equal(-1, OpCatalog.Find("MatMul", "")!.BiasInput);
        Assert.Equal(2, OpCatalog.Find("Gemm", "")!.BiasInput);
        Assert.NotNull(OpCatalog.Find("Conv", "")!.Backward);
    }
}
