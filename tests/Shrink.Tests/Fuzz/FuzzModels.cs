using Onnx;
using Shrink.Tests.Properties;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Fuzz;

/// <summary>The well-formed models the fuzz corpus mutates: tiny ones built in code, and the cnn_small sample.</summary>
internal static class FuzzModels
{
    /// <summary>input [batch,4] → MatMul → Relu → Add → output [batch,3].</summary>
    public static ModelProto MatMul() => TinyModels.MatMulReluAdd();

    /// <summary>input [batch,2,6,6] → Conv → BatchNormalization → Relu → Conv with a residual Add → Conv → output [batch,3,6,6].</summary>
    public static ModelProto Conv() => ChannelSurgeryProperties.Build(
    [
        new ChannelSurgeryProperties.Block(4, BatchNorm: true, Relu: true, Residual: false, Kernel: 3),
        new ChannelSurgeryProperties.Block(4, BatchNorm: false, Relu: true, Residual: true, Kernel: 3),
    ]);

    /// <summary>The Conv model with the first Conv's weights in an external file <c>weights.bin</c> beside it.</summary>
    public static (ModelProto Model, byte[] Data) ConvWithExternalWeights()
    {
        var model = Conv();
        var w = model.Graph.Initializer.First(t => t.Name == "b0_conv_W");
        var data = w.RawData.ToByteArray();
        w.RawData = Google.Protobuf.ByteString.Empty;
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "0" });
        w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return (model, data);
    }

    private static readonly Lazy<byte[]> CnnSmallBytes = new(() => File.ReadAllBytes(ShrinkCli.Sample));

    /// <summary>samples/cnn_small.onnx as bytes.</summary>
    public static byte[] CnnSmall => CnnSmallBytes.Value;
}
