using System.Runtime.CompilerServices;

namespace Shrink.Tests.TestSupport;

/// <summary>
/// A fact that needs <c>../shared/models</c> (the reference models beside the repository) or a Debian data package.
/// Where they are absent it is skipped, visibly, with the reason in its name (what <c>dotnet test</c> prints); it never
/// passes silently.
/// </summary>
internal sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute(bool needsFashionMnist = false, [CallerFilePath] string file = "", [CallerMemberName] string method = "")
    {
        if (!Directory.Exists(RepoPaths.SharedModels))
            Skip = $"needs the shared reference models at {RepoPaths.SharedModels}";
        else if (needsFashionMnist && !File.Exists(FashionMnist.TestImages))
            Skip = "needs Fashion-MNIST: apt-get install dataset-fashion-mnist";
        if (Skip is not null) DisplayName = SkippedTestName.Of(Skip, file, method);
    }
}

/// <summary>Where Debian's dataset-fashion-mnist puts the data.</summary>
internal static class FashionMnist
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";
    public const string TestImages = Folder + "/t10k-images-idx3-ubyte.gz";
    public const string TrainImages = Folder + "/train-images-idx3-ubyte.gz";
}
