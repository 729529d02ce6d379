using Shrink.Model;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Fuzz;

/// <summary>Replays the loader fuzz corpus (tests/Shrink.Tests/Fuzz/Corpus): each file loads or is refused with a <see cref="ShrinkException"/> naming it.</summary>
public class LoaderCorpusTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Path.Combine(RepoPaths.RepoRoot, "tests", "Shrink.Tests", "Fuzz", "Corpus"), "*.onnx").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void CorpusFileLoadsOrIsRefusedCleanly(string name)
    {
        using var dir = new TempDirectory();
        string path = dir.File(name);
        File.Copy(Path.Combine(RepoPaths.RepoRoot, "tests", "Shrink.Tests", "Fuzz", "Corpus", name), path);
        try
        {
            var model = OnnxModel.Load(path);
            Assert.NotNull(model.Graph);
        }
        catch (ShrinkException e)
        {
            Assert.Contains(name, e.Message, StringComparison.Ordinal);
        }
    }
}
