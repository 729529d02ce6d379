using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Shrink.Tests.TestSupport;

/// <summary>A tensor ONNX Runtime returned: its ONNX element type, shape and data (raw little-endian, or strings).</summary>
internal sealed record OutputTensor(string Name, int ElementType, long[] Shape, byte[] Bytes, string[]? Strings)
{
    public string ShapeText => "[" + string.Join(",", Shape) + "]";
}

/// <summary>Runs models in ONNX Runtime with one thread, feeding ONNX <see cref="TensorProto"/> inputs.</summary>
internal static class OrtRunner
{
    public static SessionOptions Options() => new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
    };

    public static InferenceSession Open(string modelPath)
    {
        using var options = Options();
        return new InferenceSession(modelPath, options);
    }

    public static InferenceSession Open(byte[] model)
    {
        using var options = Options();
        return new InferenceSession(model, options);
    }

    /// <summary>Runs the model once and returns every graph output, in the session's output order.</summary>
    public static IReadOnlyList<OutputTensor> Run(InferenceSession session, IReadOnlyDictionary<string, TensorProto> inputs)
    {
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, proto) in inputs) values[name] = ToOrtValue(proto);
            using var runOptions = new RunOptions();
            var names = session.OutputNames;
            using var outputs = session.Run(runOptions, values, names);
            var result = new List<OutputTensor>(names.Count);
            int k = 0;
            foreach (var output in outputs)
                result.Add(FromOrtValue(names[k++], output));
            return result;
        }
        finally
        {
            foreach (var v in values.Values) v.Dispose();
        }
    }

    /// <summary>Opens the model (file or bytes), runs it once on float inputs and returns its outputs.</summary>
    public static IReadOnlyList<OutputTensor> RunOnce(byte[] model, IReadOnlyDictionary<string, TensorProto> inputs)
    {
        using var session = Open(model);
        return Run(session, inputs);
    }

    public static IReadOnlyList<OutputTensor> RunOnce(string modelPath, IReadOnlyDictionary<string, TensorProto> inputs)
    {
        using var session = Open(modelPath);
        return Run(session, inputs);
    }

    public static OrtValue ToOrtValue(TensorProto proto)
    {
        long[] shape = proto.Dims.ToArray();
        if (proto.DataType == (int)TensorProto.Types.DataType.String)
        {
            var strings = TensorBytes.Strings(proto);
            var s = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
            for (int i = 0; i < strings.Length; i++) s.StringTensorSetElementAt(strings[i].Span, i);
            return s;
        }
        byte[] raw = TensorBytes.Raw(proto);
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (TensorElementType)proto.DataType, shape);
        var target = value.GetTensorMutableRawData();
        if (target.Length != raw.Length)
        {
            value.Dispose();
            throw new InvalidOperationException($"Input '{proto.Name}' holds {raw.Length} bytes; ORT expects {target.Length}.");
        }
        raw.CopyTo(target);
        return value;
    }

    private static OutputTensor FromOrtValue(string name, OrtValue value)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
            throw new NotSupportedException($"output '{name}' is a {value.OnnxType}");
        var info = value.GetTensorTypeAndShape();
        if (info.IsString)
        {
            var strings = value.GetStringTensorAsArray();
            return new OutputTensor(name, (int)TensorElementType.String, info.Shape, [], strings);
        }
        return new OutputTensor(name, (int)info.ElementDataType, info.Shape, value.GetTensorMutableRawData().ToArray(), null);
    }
}

/// <summary>Decodes <see cref="TensorProto"/> data independently of the code under test.</summary>
internal static class TensorBytes
{
    /// <summary>The tensor's data as little-endian bytes, whichever field holds it.</summary>
    public static byte[] Raw(TensorProto t)
    {
        if (t.RawData.Length > 0) return t.RawData.ToByteArray();
        var type = (TensorProto.Types.DataType)t.DataType;
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        switch (type)
        {
            case TensorProto.Types.DataType.Float:
            case TensorProto.Types.DataType.Complex64:
                foreach (var v in t.FloatData) w.Write(v);
                break;
            case TensorProto.Types.DataType.Double:
            case TensorProto.Types.DataType.Complex128:
                foreach (var v in t.DoubleData) w.Write(v);
                break;
            case TensorProto.Types.DataType.Int64:
                foreach (var v in t.Int64Data) w.Write(v);
                break;
            case TensorProto.Types.DataType.Uint64:
                foreach (var v in t.Uint64Data) w.Write(v);
                break;
            case TensorProto.Types.DataType.Uint32:
                foreach (var v in t.Uint64Data) w.Write((uint)v);
                break;
            case TensorProto.Types.DataType.Int32:
                foreach (var v in t.Int32Data) w.Write(v);
                break;
            case TensorProto.Types.DataType.Int16:
            case TensorProto.Types.DataType.Uint16:
            case TensorProto.Types.DataType.Float16:
            case TensorProto.Types.DataType.Bfloat16:
                foreach (var v in t.Int32Data) w.Write((ushort)v);
                break;
            case TensorProto.Types.DataType.String:
                throw new InvalidOperationException($"Tensor '{t.Name}' holds strings.");
            default: // 8-bit types, bool
                foreach (var v in t.Int32Data) w.Write((byte)v);
                break;
        }
        w.Flush();
        return ms.ToArray();
    }

    public static ReadOnlyMemory<byte>[] Strings(TensorProto t) => t.StringData.Select(s => (ReadOnlyMemory<byte>)s.ToByteArray()).ToArray();

    public static string[] StringsAsText(TensorProto t) => t.StringData.Select(s => Encoding.UTF8.GetString(s.Span)).ToArray();
}
