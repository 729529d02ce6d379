namespace Shrink.Tests.TestSupport;

/// <summary>
/// The display name of a test skipped for a missing prerequisite: its class and method with the reason. <c>dotnet test</c>
/// prints skipped tests by display name only (the reason shows at detailed verbosity), so the reason goes into the name,
/// and the default output says why each skipped test did not run.
/// </summary>
internal static class SkippedTestName
{
    /// <summary>
    /// <c>Class.Method (skipped: reason)</c>, the class taken from the file name (one main type per file); pass
    /// <paramref name="file"/> and <paramref name="method"/> from the attribute's caller-info parameters.
    /// </summary>
    public static string Of(string reason, string file, string method) =>
        $"{Path.GetFileNameWithoutExtension(file.Replace('\\', '/').Split('/')[^1])}.{method} (skipped: {reason})";
}
