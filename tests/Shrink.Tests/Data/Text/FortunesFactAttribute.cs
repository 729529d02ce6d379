using System.Runtime.CompilerServices;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Data.Text;

/// <summary>
/// A fact that needs the shared reference models and Debian's <c>fortunes</c> package (tiny_gpt's corpus); skipped,
/// with the reason in its name, where either is absent.
/// </summary>
internal sealed class FortunesFactAttribute : FactAttribute
{
    public const string Folder = "/usr/share/games/fortunes";

    public FortunesFactAttribute([CallerFilePath] string file = "", [CallerMemberName] string method = "")
    {
        if (!Directory.Exists(RepoPaths.SharedModels))
            Skip = $"needs the shared reference models at {RepoPaths.SharedModels}";
        else if (!Directory.Exists(Folder))
            Skip = "needs tiny_gpt's corpus: apt-get install fortunes";
        if (Skip is not null) DisplayName = SkippedTestName.Of(Skip, file, method);
    }
}
