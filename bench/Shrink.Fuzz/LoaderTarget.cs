using Shrink.Model;

namespace Shrink.Fuzz;

/// <summary>The fuzz target: the bytes as a model file beside a valid external data file; <see cref="ShrinkException"/> is a clean refusal, any other exception a crash.</summary>
internal static class LoaderTarget
{
    private static readonly string Folder = MakeFolder();

    private static string MakeFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"shrink-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, Seeds.ExternalFile), Seeds.ExternalBytes());
        return folder;
    }

    public static void Load(byte[] bytes)
    {
        string path = Path.Combine(Folder, "input.onnx");
        File.WriteAllBytes(path, bytes);
        try
        {
            var model = OnnxModel.Load(path);
            _ = model.ToByteArray();
        }
        catch (ShrinkException)
        {
            // A clean refusal.
        }
    }
}
