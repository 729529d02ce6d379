using System.Text.Json;

namespace Shrink.Bench;

/// <summary>Reads an ONNX Runtime profile (the JSON <c>EndProfiling</c> writes): kernel time per op type of the optimized graph.</summary>
internal static class OrtProfileFile
{
    /// <summary>Op type → (µs summed over every run in the file, distinct nodes), read from <paramref name="file"/>, which is then deleted (kept when the environment sets SHRINK_KEEP_PROFILE, for a per-node look).</summary>
    public static Dictionary<string, (double Us, int Nodes)> KernelTimes(string file)
    {
        var totals = new Dictionary<string, (double Us, HashSet<string> Nodes)>(StringComparer.Ordinal);
        using (var doc = JsonDocument.Parse(File.ReadAllText(file)))
        {
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() != "Node" || !e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                string op = e.GetProperty("args").GetProperty("op_name").GetString()!;
                if (!totals.TryGetValue(op, out var t)) totals[op] = t = (0, new HashSet<string>(StringComparer.Ordinal));
                t.Nodes.Add(e.GetProperty("name").GetString()!);
                totals[op] = (t.Us + e.GetProperty("dur").GetDouble(), t.Nodes);
            }
        }
        if (Environment.GetEnvironmentVariable("SHRINK_KEEP_PROFILE") is null) File.Delete(file);
        return totals.ToDictionary(kv => kv.Key, kv => (kv.Value.Us, kv.Value.Nodes.Count), StringComparer.Ordinal);
    }
}
