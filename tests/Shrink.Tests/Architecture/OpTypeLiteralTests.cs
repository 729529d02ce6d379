using Shrink.Ops;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Architecture;

/// <summary>
/// Op knowledge lives in the catalog (src/Shrink/Ops): no string literal outside it may spell an op type (a name the
/// catalog knows or any standard ONNX operator, compared case-sensitively). Code names ops through
/// <see cref="OpTypes"/> and asks <see cref="OpCatalog"/> what they do. The opset upgrader's table keeps its strings.
/// </summary>
public class OpTypeLiteralTests
{
    private static readonly string[] ScannedProjects = ["src/Shrink", "src/Shrink.Cli"];

    /// <summary>Files allowed to hold op-type literals, relative to the repository root.</summary>
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "src/Shrink/Passes/UpgradeOpset.cs",
    };

    [Fact]
    public void No_op_type_string_literal_outside_the_catalog()
    {
        var names = OpCatalog.All.Select(s => s.OpType).Concat(OnnxOperatorNames.All).ToHashSet(StringComparer.Ordinal);
        var found = new List<string>();
        int scanned = 0;
        foreach (var project in ScannedProjects)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.RepoRoot, project), "*.cs", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(RepoPaths.RepoRoot, file).Replace('\\', '/');
                if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal)
                    || relative.StartsWith("src/Shrink/Ops/", StringComparison.Ordinal) || Allowed.Contains(relative))
                    continue;
                scanned++;
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    foreach (var literal in Literals(lines[i]))
                        if (names.Contains(literal)) found.Add($"{relative}:{i + 1}: \"{literal}\"");
                }
            }
        }
        Assert.True(scanned > 100, $"only {scanned} source files found under {RepoPaths.RepoRoot}");
        Assert.True(found.Count == 0, $"{found.Count} op-type literal(s) outside src/Shrink/Ops (use OpTypes / OpCatalog):\n{string.Join('\n', found)}");
    }

    [Theory]
    [InlineData("if (node.OpType == \"Conv\") return;", "Conv")]
    [InlineData("x is \"Gemm\" or \"MatMul\"", "Gemm,MatMul")]
    [InlineData("Fail($\"{a} and \\\"Conv\\\"\"); var b = \"Relu\";", "Relu")]
    [InlineData("/// <param name=\"Max\">upper</param>", "")]
    [InlineData("var s = \"x\"; // was \"Conv\"", "x")]
    public void The_scan_reads_plain_literals_outside_comments(string line, string expected) =>
        Assert.Equal(expected, string.Join(',', Literals(line)));

    /// <summary>The plain (not interpolated, not verbatim) string literals of one line of C#, comments skipped.</summary>
    internal static IEnumerable<string> Literals(string line)
    {
        if (line.TrimStart().StartsWith("//", StringComparison.Ordinal)) yield break;
        int i = 0;
        while (i < line.Length)
        {
            char c = line[i];
            if (c == '/' && i + 1 < line.Length && line[i + 1] == '/') yield break;
            if (c == '\'')
            {
                // A char literal: '"' must not open a string.
                int end = line.IndexOf('\'', i + (i + 1 < line.Length && line[i + 1] == '\\' ? 3 : 2));
                i = end < 0 ? line.Length : end + 1;
                continue;
            }
            if (c != '"')
            {
                i++;
                continue;
            }
            bool special = i > 0 && (line[i - 1] == '$' || line[i - 1] == '@');
            int start = ++i;
            while (i < line.Length && line[i] != '"')
                i += line[i] == '\\' ? 2 : 1;
            if (!special && i <= line.Length) yield return line[start..Math.Min(i, line.Length)];
            i++;
        }
    }
}
