namespace Shrink.Bench;

/// <summary>Peak memory and time of quantize/eval on generated detector- and recognizer-sized CNNs (bench/RESULTS-memory.md).</summary>
internal static class MemoryBenchmark
{
    /// <summary>Writes detector.onnx and recognizer.onnx to <paramref name="folder"/> and prints their MACs.</summary>
    public static int Generate(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var (file, model) in new[] { ("detector.onnx", CnnGenerator.Detector()), ("recognizer.onnx", CnnGenerator.Recognizer()) })
        {
            string path = Path.Combine(folder, file);
            model.Save(path);
            Console.WriteLine($"{path}: {ParameterCount.Of(model):N0} parameters, {new FileInfo(path).Length:N0} bytes");
        }
        return 0;
    }
}
