using Shrink.Data;
using Shrink.Onnx;

namespace Shrink.Cli.Commands;

/// <summary>Writes a command's output model: its folder, the model (atomically) and the input's preprocessing sidecar.</summary>
internal static class ModelOutput
{
    /// <summary>Saves <paramref name="model"/> to <paramref name="outPath"/> with the sidecar of <paramref name="input"/>; returns the file's size.</summary>
    public static long Save(OnnxModel model, string input, string outPath)
    {
        CreateFolder(outPath);
        model.Save(outPath);
        CopySidecar(input, outPath);
        return new FileInfo(outPath).Length;
    }

    /// <summary>Copies an already written model file (e.g. the chosen trial) with the sidecar.</summary>
    public static long Copy(string modelFile, string input, string outPath)
    {
        CreateFolder(outPath);
        File.Copy(modelFile, outPath, overwrite: true);
        CopySidecar(input, outPath);
        return new FileInfo(outPath).Length;
    }

    // The output takes the same inputs, so it keeps the preprocessing sidecar: `shrink eval OUT` then just works.
    private static void CopySidecar(string input, string output)
    {
        string from = Preprocessing.SidecarPath(input), to = Preprocessing.SidecarPath(output);
        if (File.Exists(from) && Path.GetFullPath(from) != Path.GetFullPath(to))
            JsonOutput.WriteText(to, File.ReadAllText(from));
    }

    private static void CreateFolder(string outPath)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (dir is not null) Directory.CreateDirectory(dir);
    }
}
