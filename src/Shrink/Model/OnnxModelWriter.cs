using Google.Protobuf;
using Onnx;

namespace Shrink.Model;

/// <summary>
/// Writes a model atomically, moving tensor data to an external file when asked or when the model would exceed
/// protobuf's 2 GB limit. The in-memory model is left exactly as it was.
/// </summary>
internal static class OnnxModelWriter
{
    private const int Alignment = 64;

    public static void Write(OnnxModel model, string fullPath, ModelSaveOptions options)
    {
        var tensors = TensorProtoWalker.All(model.Proto).Select(t => t.Tensor)
            .Where(t => t.DataLocation != TensorProto.Types.DataLocation.External).ToList();
        long dataBytes = tensors.Sum(t => (long)t.RawData.Length);
        bool external = options.ExternalData switch
        {
            ExternalDataMode.Always => true,
            ExternalDataMode.Never => false,
            _ => dataBytes > options.AutoExternalThresholdBytes,
        };
        if (!external)
        {
            long size = model.Proto.CalculateSize();
            if (size <= 0 || size >= int.MaxValue)
                throw new ShrinkException($"{fullPath}: the model ({dataBytes:N0} bytes of tensors) exceeds protobuf's 2 GB limit; save it with external data.");
            AtomicFile.Write(fullPath, s => model.Proto.WriteTo(s));
            return;
        }

        string dataName = options.ExternalDataFileName ?? Path.GetFileName(fullPath) + ".data";
        string dir = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(dir))
            throw new ShrinkException($"{fullPath}: the output folder '{dir}' does not exist.");
        string dataPath = ExternalDataResolver.ResolveLocation(dataName, dir, fullPath, "external data file");
        var moved = tensors.Where(t => t.RawData.Length >= options.ExternalMinTensorBytes).ToList();
        var originals = moved.Select(t => t.RawData).ToArray();
        string dataTemp = AtomicFile.TempPathFor(dataPath);
        try
        {
            // 1. All data into a temporary data file, each tensor aligned for memory mapping.
            var offsets = new long[moved.Count];
            using (var data = new FileStream(dataTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> padding = stackalloc byte[Alignment];
                for (int i = 0; i < moved.Count; i++)
                {
                    long pad = (Alignment - data.Position % Alignment) % Alignment;
                    data.Write(padding[..(int)pad]);
                    offsets[i] = data.Position;
                    data.Write(originals[i].Span);
                }
                data.Flush(flushToDisk: true);
            }
            // 2. Point the tensors at it while the model file is written, then restore them.
            try
            {
                for (int i = 0; i < moved.Count; i++)
                {
                    var t = moved[i];
                    t.RawData = ByteString.Empty;
                    t.DataLocation = TensorProto.Types.DataLocation.External;
                    t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                    t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offsets[i].ToString(System.Globalization.CultureInfo.InvariantCulture) });
                    t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = originals[i].Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                }
                long size = model.Proto.CalculateSize();
                if (size <= 0 || size >= int.MaxValue)
                    throw new ShrinkException($"{fullPath}: the model's graph alone exceeds protobuf's 2 GB limit.");
                // The data file goes into place first: a reader never sees a model whose data is missing.
                File.Move(dataTemp, dataPath, overwrite: true);
                AtomicFile.Write(fullPath, s => model.Proto.WriteTo(s));
            }
            finally
            {
                for (int i = 0; i < moved.Count; i++)
                {
                    var t = moved[i];
                    t.ExternalData.Clear();
                    t.DataLocation = TensorProto.Types.DataLocation.Default;
                    t.RawData = originals[i];
                }
            }
        }
        finally
        {
            AtomicFile.TryDelete(dataTemp);
        }
    }
}
