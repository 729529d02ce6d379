namespace Shrink.Ops;

/// <summary>
/// The op types Shrink reads or writes, as constants: code outside <c>Ops/</c> names an op through these (to create a
/// node, or to recognise a pattern of nodes) and asks <see cref="OpCatalog"/> what it does. The default ONNX domain
/// unless the summary says com.microsoft (ONNX Runtime's contrib ops).
/// </summary>
public static class OpTypes
{
    /// <summary>ONNX Abs.</summary>
    public const string Abs = "Abs";

    /// <summary>ONNX Add.</summary>
    public const string Add = "Add";

    /// <summary>ONNX And.</summary>
    public const string And = "And";

    /// <summary>ONNX ArgMax.</summary>
    public const string ArgMax = "ArgMax";

    /// <summary>ONNX ArgMin.</summary>
    public const string ArgMin = "ArgMin";

    /// <summary>ONNX AveragePool.</summary>
    public const string AveragePool = "AveragePool";

    /// <summary>ONNX BatchNormalization.</summary>
    public const string BatchNormalization = "BatchNormalization";

    /// <summary>ONNX Cast.</summary>
    public const string Cast = "Cast";

    /// <summary>ONNX Ceil.</summary>
    public const string Ceil = "Ceil";

    /// <summary>ONNX Celu.</summary>
    public const string Celu = "Celu";

    /// <summary>ONNX Clip.</summary>
    public const string Clip = "Clip";

    /// <summary>ONNX Concat.</summary>
    public const string Concat = "Concat";

    /// <summary>ONNX Constant.</summary>
    public const string Constant = "Constant";

    /// <summary>ONNX ConstantOfShape.</summary>
    public const string ConstantOfShape = "ConstantOfShape";

    /// <summary>ONNX Conv.</summary>
    public const string Conv = "Conv";

    /// <summary>ONNX ConvInteger.</summary>
    public const string ConvInteger = "ConvInteger";

    /// <summary>ONNX ConvTranspose.</summary>
    public const string ConvTranspose = "ConvTranspose";

    /// <summary>ONNX Cos.</summary>
    public const string Cos = "Cos";

    /// <summary>ONNX DequantizeLinear.</summary>
    public const string DequantizeLinear = "DequantizeLinear";

    /// <summary>ONNX Div.</summary>
    public const string Div = "Div";

    /// <summary>ONNX Dropout.</summary>
    public const string Dropout = "Dropout";

    /// <summary>ONNX DynamicQuantizeLinear.</summary>
    public const string DynamicQuantizeLinear = "DynamicQuantizeLinear";

    /// <summary>ONNX Runtime's com.microsoft DynamicQuantizeMatMul.</summary>
    public const string DynamicQuantizeMatMul = "DynamicQuantizeMatMul";

    /// <summary>ONNX Elu.</summary>
    public const string Elu = "Elu";

    /// <summary>ONNX Equal.</summary>
    public const string Equal = "Equal";

    /// <summary>ONNX Erf.</summary>
    public const string Erf = "Erf";

    /// <summary>ONNX Exp.</summary>
    public const string Exp = "Exp";

    /// <summary>ONNX Expand.</summary>
    public const string Expand = "Expand";

    /// <summary>ONNX Flatten.</summary>
    public const string Flatten = "Flatten";

    /// <summary>ONNX Floor.</summary>
    public const string Floor = "Floor";

    /// <summary>ONNX Gather.</summary>
    public const string Gather = "Gather";

    /// <summary>ONNX Runtime's com.microsoft GatherBlockQuantized (a Gather over a block-quantized table).</summary>
    public const string GatherBlockQuantized = "GatherBlockQuantized";

    /// <summary>ONNX GatherElements.</summary>
    public const string GatherElements = "GatherElements";

    /// <summary>ONNX Gelu (opset 20; also com.microsoft).</summary>
    public const string Gelu = "Gelu";

    /// <summary>ONNX Gemm.</summary>
    public const string Gemm = "Gemm";

    /// <summary>ONNX GlobalAveragePool.</summary>
    public const string GlobalAveragePool = "GlobalAveragePool";

    /// <summary>ONNX GlobalLpPool.</summary>
    public const string GlobalLpPool = "GlobalLpPool";

    /// <summary>ONNX GlobalMaxPool.</summary>
    public const string GlobalMaxPool = "GlobalMaxPool";

    /// <summary>ONNX Greater.</summary>
    public const string Greater = "Greater";

    /// <summary>ONNX GreaterOrEqual.</summary>
    public const string GreaterOrEqual = "GreaterOrEqual";

    /// <summary>ONNX GroupNormalization (opset 18).</summary>
    public const string GroupNormalization = "GroupNormalization";

    /// <summary>ONNX HardSigmoid.</summary>
    public const string HardSigmoid = "HardSigmoid";

    /// <summary>ONNX HardSwish.</summary>
    public const string HardSwish = "HardSwish";

    /// <summary>ONNX Identity.</summary>
    public const string Identity = "Identity";

    /// <summary>ONNX InstanceNormalization.</summary>
    public const string InstanceNormalization = "InstanceNormalization";

    /// <summary>ONNX LayerNormalization.</summary>
    public const string LayerNormalization = "LayerNormalization";

    /// <summary>ONNX LeakyRelu.</summary>
    public const string LeakyRelu = "LeakyRelu";

    /// <summary>ONNX Less.</summary>
    public const string Less = "Less";

    /// <summary>ONNX LessOrEqual.</summary>
    public const string LessOrEqual = "LessOrEqual";

    /// <summary>ONNX Log.</summary>
    public const string Log = "Log";

    /// <summary>ONNX LogSoftmax.</summary>
    public const string LogSoftmax = "LogSoftmax";

    /// <summary>ONNX LpPool.</summary>
    public const string LpPool = "LpPool";

    /// <summary>ONNX MatMul.</summary>
    public const string MatMul = "MatMul";

    /// <summary>ONNX MatMulInteger.</summary>
    public const string MatMulInteger = "MatMulInteger";

    /// <summary>ONNX Runtime's com.microsoft MatMulIntegerToFloat.</summary>
    public const string MatMulIntegerToFloat = "MatMulIntegerToFloat";

    /// <summary>ONNX Runtime's com.microsoft MatMulNBits.</summary>
    public const string MatMulNBits = "MatMulNBits";

    /// <summary>ONNX Max.</summary>
    public const string Max = "Max";

    /// <summary>ONNX MaxPool.</summary>
    public const string MaxPool = "MaxPool";

    /// <summary>ONNX Mean.</summary>
    public const string Mean = "Mean";

    /// <summary>ONNX Min.</summary>
    public const string Min = "Min";

    /// <summary>ONNX Mish (opset 18).</summary>
    public const string Mish = "Mish";

    /// <summary>ONNX Mul.</summary>
    public const string Mul = "Mul";

    /// <summary>ONNX Neg.</summary>
    public const string Neg = "Neg";

    /// <summary>ONNX Runtime's com.microsoft NhwcQLinearConv.</summary>
    public const string NhwcQLinearConv = "NhwcQLinearConv";

    /// <summary>ONNX NonZero.</summary>
    public const string NonZero = "NonZero";

    /// <summary>ONNX Not.</summary>
    public const string Not = "Not";

    /// <summary>ONNX OneHot.</summary>
    public const string OneHot = "OneHot";

    /// <summary>ONNX Or.</summary>
    public const string Or = "Or";

    /// <summary>ONNX Pad.</summary>
    public const string Pad = "Pad";

    /// <summary>ONNX Pow.</summary>
    public const string Pow = "Pow";

    /// <summary>ONNX PRelu.</summary>
    public const string PRelu = "PRelu";

    /// <summary>ONNX Runtime's com.microsoft QAttention.</summary>
    public const string QAttention = "QAttention";

    /// <summary>ONNX Runtime's com.microsoft QGemm.</summary>
    public const string QGemm = "QGemm";

    /// <summary>ONNX Runtime's com.microsoft QLinearAdd.</summary>
    public const string QLinearAdd = "QLinearAdd";

    /// <summary>ONNX Runtime's com.microsoft QLinearAveragePool.</summary>
    public const string QLinearAveragePool = "QLinearAveragePool";

    /// <summary>ONNX Runtime's com.microsoft QLinearConcat.</summary>
    public const string QLinearConcat = "QLinearConcat";

    /// <summary>ONNX QLinearConv.</summary>
    public const string QLinearConv = "QLinearConv";

    /// <summary>ONNX Runtime's com.microsoft QLinearGlobalAveragePool.</summary>
    public const string QLinearGlobalAveragePool = "QLinearGlobalAveragePool";

    /// <summary>ONNX Runtime's com.microsoft QLinearLeakyRelu.</summary>
    public const string QLinearLeakyRelu = "QLinearLeakyRelu";

    /// <summary>ONNX QLinearMatMul.</summary>
    public const string QLinearMatMul = "QLinearMatMul";

    /// <summary>ONNX Runtime's com.microsoft QLinearMul.</summary>
    public const string QLinearMul = "QLinearMul";

    /// <summary>ONNX Runtime's com.microsoft QLinearReduceMean.</summary>
    public const string QLinearReduceMean = "QLinearReduceMean";

    /// <summary>ONNX Runtime's com.microsoft QLinearSigmoid.</summary>
    public const string QLinearSigmoid = "QLinearSigmoid";

    /// <summary>ONNX Runtime's com.microsoft QLinearSoftmax.</summary>
    public const string QLinearSoftmax = "QLinearSoftmax";

    /// <summary>ONNX Runtime's com.microsoft QLinearWhere.</summary>
    public const string QLinearWhere = "QLinearWhere";

    /// <summary>ONNX QuantizeLinear.</summary>
    public const string QuantizeLinear = "QuantizeLinear";

    /// <summary>ONNX Range.</summary>
    public const string Range = "Range";

    /// <summary>ONNX Reciprocal.</summary>
    public const string Reciprocal = "Reciprocal";

    /// <summary>ONNX ReduceMean.</summary>
    public const string ReduceMean = "ReduceMean";

    /// <summary>ONNX ReduceSum.</summary>
    public const string ReduceSum = "ReduceSum";

    /// <summary>ONNX Relu.</summary>
    public const string Relu = "Relu";

    /// <summary>ONNX Reshape.</summary>
    public const string Reshape = "Reshape";

    /// <summary>ONNX Resize.</summary>
    public const string Resize = "Resize";

    /// <summary>ONNX RMSNormalization (opset 23).</summary>
    public const string RMSNormalization = "RMSNormalization";

    /// <summary>ONNX Round.</summary>
    public const string Round = "Round";

    /// <summary>ONNX ScatterElements.</summary>
    public const string ScatterElements = "ScatterElements";

    /// <summary>ONNX Selu.</summary>
    public const string Selu = "Selu";

    /// <summary>ONNX Shape.</summary>
    public const string Shape = "Shape";

    /// <summary>ONNX Sigmoid.</summary>
    public const string Sigmoid = "Sigmoid";

    /// <summary>ONNX Sign.</summary>
    public const string Sign = "Sign";

    /// <summary>ONNX Runtime's com.microsoft SimplifiedLayerNormalization (an RMS norm).</summary>
    public const string SimplifiedLayerNormalization = "SimplifiedLayerNormalization";

    /// <summary>ONNX Sin.</summary>
    public const string Sin = "Sin";

    /// <summary>ONNX Size.</summary>
    public const string Size = "Size";

    /// <summary>ONNX Runtime's com.microsoft SkipLayerNormalization.</summary>
    public const string SkipLayerNormalization = "SkipLayerNormalization";

    /// <summary>ONNX Runtime's com.microsoft SkipSimplifiedLayerNormalization.</summary>
    public const string SkipSimplifiedLayerNormalization = "SkipSimplifiedLayerNormalization";

    /// <summary>ONNX Slice.</summary>
    public const string Slice = "Slice";

    /// <summary>ONNX Softmax.</summary>
    public const string Softmax = "Softmax";

    /// <summary>ONNX Softplus.</summary>
    public const string Softplus = "Softplus";

    /// <summary>ONNX Softsign.</summary>
    public const string Softsign = "Softsign";

    /// <summary>ONNX Split.</summary>
    public const string Split = "Split";

    /// <summary>ONNX Sqrt.</summary>
    public const string Sqrt = "Sqrt";

    /// <summary>ONNX Squeeze.</summary>
    public const string Squeeze = "Squeeze";

    /// <summary>ONNX Sub.</summary>
    public const string Sub = "Sub";

    /// <summary>ONNX Sum.</summary>
    public const string Sum = "Sum";

    /// <summary>ONNX Tanh.</summary>
    public const string Tanh = "Tanh";

    /// <summary>ONNX ThresholdedRelu.</summary>
    public const string ThresholdedRelu = "ThresholdedRelu";

    /// <summary>ONNX Tile.</summary>
    public const string Tile = "Tile";

    /// <summary>ONNX Transpose.</summary>
    public const string Transpose = "Transpose";

    /// <summary>ONNX Unsqueeze.</summary>
    public const string Unsqueeze = "Unsqueeze";

    /// <summary>ONNX Where.</summary>
    public const string Where = "Where";
}
