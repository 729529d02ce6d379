using Google.Protobuf;
using Onnx;
using Shrink.Model;
using Shrink.Tests.TestSupport;
using Shrink.Training.Autodiff;

namespace Shrink.Tests.Ops.Backward;

/// <summary>Constants and attributes for the one-op models of the backward rule tests.</summary>
internal static class BackwardTestModels
{
    public static TensorProto Int64s(string name, params long[] values) =>
        TinyModels.RawTensor(name, TinyModels.Int64, [values.Length], values.SelectMany(BitConverter.GetBytes).ToArray());

    public static TensorProto Int64s(string name, long[] dims, long[] values) =>
        TinyModels.RawTensor(name, TinyModels.Int64, dims, values.SelectMany(BitConverter.GetBytes).ToArray());

    public static TensorProto FloatScalar(string name, float value) => TinyModels.FloatTensor(name, [], [value]);

    public static TensorProto Bools(string name, long[] dims, bool[] values) =>
        TinyModels.RawTensor(name, (int)TensorProto.Types.DataType.Bool, dims, values.Select(v => v ? (byte)1 : (byte)0).ToArray());

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Str(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>Values pushed away from zero into ±[0.5, 1.5] (denominators, square roots, logs after Abs).</summary>
    public static float AwayFromZero(float v) => v >= 0 ? v + 0.5f : v - 0.5f;

    /// <summary>Positive values in [0.5, 1.5].</summary>
    public static float Positive(float v) => Math.Abs(v) + 0.5f;

    /// <summary>
    /// The refusal of building the training graph of a one-op model (mean squared error on its output, every float
    /// initializer not named const… a parameter), without running the forward model (which ONNX Runtime may itself refuse).
    /// </summary>
    public static ShrinkException BuildRefusal(ModelProto model)
    {
        var parameters = model.Graph.Initializer.Where(t => t.DataType == TinyModels.Float && !t.Name.StartsWith("const", StringComparison.Ordinal)).Select(t => t.Name).ToArray();
        return Assert.Throws<ShrinkException>(() => Gradients.Build(OnnxModel.FromProto(model.Clone(), "refused"), LossSpec.MeanSquaredError(model.Graph.Output[0].Name), parameters));
    }
}
