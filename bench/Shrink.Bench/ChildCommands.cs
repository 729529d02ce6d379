using System.Diagnostics;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using Google.Protobuf;
using Onnx;
using Shrink.Model;

namespace Shrink.Bench;

/// <summary>
/// The hidden subcommands run in a fresh child process, so that their peak memory (VmHWM) belongs to them alone.
/// They print <c>key=value</c> lines that <see cref="ChildProcess"/> parses.
/// </summary>
internal static class ChildCommands
{
    /// <summary><c>loadsave IN OUT</c>: OnnxModel.Load then Save, exactly as a user of the library would.</summary>
    public static int LoadSave(string input, string output)
    {
        long baseline = ProcStatus.PeakRssKiB() ?? 0;
        var sw = Stopwatch.StartNew();
        var model = OnnxModel.Load(input);
        double load = sw.Elapsed.TotalSeconds;
        sw.Restart();
        model.Save(output);
        double save = sw.Elapsed.TotalSeconds;
        Print("baseline_kib", baseline);
        Print("load_s", load);
        Print("save_s", save);
        Print("peak_kib", ProcStatus.PeakRssKiB() ?? 0);
        GC.KeepAlive(model);
        return 0;
    }

    /// <summary>
    /// <c>phases IN OUT</c>: the same work split into the steps of <c>src/Shrink/Onnx</c> (parse, validation and IR,
    /// SyncToProto, CalculateSize, writing, fsync), each timed with the resident memory after it.
    /// </summary>
    public static int Phases(string input, string output)
    {
        Phase("startup", 0);
        var sw = Stopwatch.StartNew();
        ModelProto proto;
        using (var stream = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
        {
            // The stream parse OnnxModel.Load used before it switched to a memory-mapped span (kept for comparison).
            proto = ModelProto.Parser.ParseFrom(new CodedInputStream(stream, leaveOpen: true));
        }
        Phase("parse (ModelProto.Parser over a 1 MiB FileStream)", sw.Elapsed.TotalSeconds);

        sw.Restart();
        var model = OnnxModel.FromProto(proto, input);
        Phase("validate + graph IR (OnnxModel.FromProto)", sw.Elapsed.TotalSeconds);

        sw.Restart();
        model.Graph.SyncToProto();
        Phase("SyncToProto", sw.Elapsed.TotalSeconds);

        sw.Restart();
        long size = model.Proto.CalculateSize();
        Phase("CalculateSize", sw.Elapsed.TotalSeconds);

        string temp = output + ".phases.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                sw.Restart();
                model.Proto.WriteTo(stream);
                stream.Flush(flushToDisk: false);
                Phase("write (Proto.WriteTo, into the page cache)", sw.Elapsed.TotalSeconds);
                sw.Restart();
                stream.Flush(flushToDisk: true);
                Phase("fsync (Flush(flushToDisk: true))", sw.Elapsed.TotalSeconds);
            }
        }
        finally
        {
            File.Delete(temp);
        }

        sw.Restart();
        model.Save(output);
        Phase("OnnxModel.Save, whole (for reference)", sw.Elapsed.TotalSeconds);
        Print("size_bytes", size);
        return 0;
    }

    /// <summary>
    /// <c>parsemapped IN</c>: an alternative to the stream parse, for comparison only (Shrink does not do this):
    /// the file memory-mapped and parsed from one span, so each tensor's bytes are copied once into an array of
    /// the right size instead of going through Google.Protobuf's 4 KiB chunk path for streams.
    /// </summary>
    public static unsafe int ParseMapped(string input)
    {
        Phase("startup", 0);
        var sw = Stopwatch.StartNew();
        long length = new FileInfo(input).Length;
        ModelProto proto;
        using (var file = MemoryMappedFile.CreateFromFile(input, FileMode.Open, null, 0, MemoryMappedFileAccess.Read))
        using (var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read))
        {
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            try
            {
                proto = ModelProto.Parser.ParseFrom(new ReadOnlySpan<byte>(start + view.PointerOffset, checked((int)length)));
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
        Phase("alternative parse: memory-mapped file, ParseFrom(ReadOnlySpan) (fresh process)", sw.Elapsed.TotalSeconds);
        GC.KeepAlive(proto);
        return 0;
    }

    /// <summary><c>quantizemem MODEL DATA SAMPLES</c>: static int8 quantization with that many calibration samples, for its peak RSS.</summary>
    public static int QuantizeMemory(string model, string data, int samples)
    {
        var onnx = OnnxModel.Load(model);
        var result = new Shrink.Methods.Quantization.StaticQuantizer(new Shrink.Methods.Quantization.Qdq.StaticQuantizationOptions { Samples = samples, AnalysisSamples = 0 })
            .Quantize(onnx, inputs => Shrink.Data.DataSourceFactory.Open(data, new Shrink.Data.DataOptions { Preprocessing = Shrink.Data.Preprocessing.LoadSidecar(model)! }, inputs));
        GC.KeepAlive(result);
        Print("peak_kib", ProcStatus.PeakRssKiB() ?? 0);
        return 0;
    }

    private static void Phase(string name, double seconds) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"phase={seconds:R}|{ProcStatus.RssKiB() ?? 0}|{ProcStatus.PeakRssKiB() ?? 0}|{name}"));

    private static void Print(string key, double value) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}={value:R}"));
}
