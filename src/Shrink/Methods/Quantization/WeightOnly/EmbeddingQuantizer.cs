using System.Globalization;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Methods.Quantization.WeightOnly;

/// <summary>
/// Quantizes the constant tables Gather nodes read (token and position embeddings, often a model's largest tensor) by
/// round-to-nearest in blocks along each row and writes each Gather as com.microsoft GatherBlockQuantized over uint8
/// codes (two 4-bit codes a byte, or one 8-bit code), float scales and, for an asymmetric grid, zero points. The indices
/// may come from a graph input or be computed. A table something else also reads (a tied output head left in float) is
/// left alone: a quantized copy next to the float table would make the model larger.
/// </summary>
public static class EmbeddingQuantizer
{
    /// <summary>
    /// The tables of <paramref name="graph"/> to quantize under <paramref name="options"/>, and the float Gather tables
    /// left alone with the reason (none listed when embeddings are off). <paramref name="goesAway"/> names the nodes
    /// that will stop reading their weights (the layers about to be quantized), so a table tied to such a layer counts
    /// as read by the Gathers only; null: the graph as it is.
    /// </summary>
    public static (List<EmbeddingTable> Tables, List<(string Name, string OpType, string Reason)> Left) Select(ModelGraph graph, WeightOnlyOptions options, Func<Node, bool>? goesAway = null)
    {
        var tables = new List<EmbeddingTable>();
        var left = new List<(string Name, string OpType, string Reason)>();
        if (options.EmbeddingBits == 0) return (tables, left);
        var inSubgraphs = Subgraphs.Graphs(graph).SelectMany(g => g.Nodes).SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
        var declared = graph.DeclaredInputNames.ToHashSet(StringComparer.Ordinal);
        var byTable = graph.Nodes
            .Where(n => n.OpType == OpTypes.Gather && OpDomains.IsDefault(n.Domain) && n.Inputs.Count > GatherBlockQuantizedKernel.IndicesInput && graph.FindInitializer(n.Inputs[GatherBlockQuantizedKernel.DataInput]) is not null)
            .GroupBy(n => n.Inputs[GatherBlockQuantizedKernel.DataInput], StringComparer.Ordinal);
        foreach (var group in byTable)
        {
            var gathers = group.ToList();
            var table = graph.FindInitializer(group.Key)!;
            if (table.Type != ElementType.Float) continue; // integer index tables and the like are no weights
            string name = gathers[0].DisplayName;
            string? reason = Refusal(graph, table, gathers, options, goesAway, declared, inSubgraphs, out int bits, out int block);
            if (reason is not null)
            {
                left.Add((name, OpTypes.Gather, $"table '{table.Name}' {reason}"));
                continue;
            }
            tables.Add(new EmbeddingTable(table.Name, (int)table.Dims[0], (int)table.Dims[1], gathers, bits, block));
        }
        return (tables, left);
    }

    // Why the table cannot or should not be quantized, or null.
    private static string? Refusal(ModelGraph graph, TensorData table, List<Node> gathers, WeightOnlyOptions options, Func<Node, bool>? goesAway,
        HashSet<string> declared, HashSet<string> inSubgraphs, out int bits, out int block)
    {
        bits = 0;
        block = 0;
        if (table.Dims.Count != 2) return $"has rank {table.Dims.Count}; GatherBlockQuantized is written for [rows, columns] tables";
        long rows = table.Dims[0], cols = table.Dims[1];
        if (table.ElementCount > int.MaxValue) return $"holds {table.ElementCount:N0} values, over the {int.MaxValue:N0} one table may have here";
        foreach (var g in gathers)
        {
            long axis = g.GetInt("axis", 0);
            if (axis < 0) axis += 2;
            if (axis != GatherBlockQuantizedKernel.GatherAxis)
                return $"is gathered along axis {g.GetInt("axis", 0)} by '{g.DisplayName}'; GatherBlockQuantized's uint8 form gathers rows (axis 0)";
        }
        if (declared.Contains(table.Name) || graph.IsGraphOutput(table.Name)) return "is also a graph input or output, which must keep its float values";
        if (inSubgraphs.Contains(table.Name)) return "is also read inside a subgraph";
        var other = graph.Consumers(table.Name).FirstOrDefault(n => !gathers.Contains(n) && !(goesAway?.Invoke(n) ?? false));
        if (other is not null)
            return $"is also read by {other.OpType} '{other.DisplayName}', which keeps it in float: a quantized copy for the Gather would add bytes, not save them";
        bits = options.EmbeddingBitsFor(table.ElementCount);
        if (bits == 0)
            return string.Create(CultureInfo.InvariantCulture, $"has {table.ElementCount:N0} values, under the {options.EmbeddingMinElements:N0} --embeddings auto quantizes (--embeddings int8 or int4 takes every table)");
        if (bits == 4 && cols % 2 != 0) return $"has rows of {cols} values, an odd number: 4-bit codes are packed two a byte along each row (--embeddings int8 takes it)";
        if (GatherBlockQuantizedKernel.BlockFor(options.GroupSize, (int)cols) is not int b)
            return $"needs blocks of a power of two of at least {GatherBlockQuantizedKernel.MinBlockSize}, and --group-size is {options.GroupSize}";
        block = b;
        return rows > 0 && cols > 0 ? null : "is empty";
    }

    /// <summary>
    /// Rounds each table of <paramref name="tables"/> (selected from <paramref name="model"/>'s graph) and writes its
    /// Gathers as GatherBlockQuantized; the float table is removed. Returns what was done and the rounding decisions.
    /// </summary>
    public static (List<EmbeddingResult> Results, List<(string Table, QuantizedWeight Weight)> Decisions) Apply(OnnxModel model, IReadOnlyList<EmbeddingTable> tables, bool symmetric, int clipSteps)
    {
        var graph = model.Graph;
        var results = new List<EmbeddingResult>();
        var decisions = new List<(string, QuantizedWeight)>();
        var rtn = new RoundToNearest();
        foreach (var t in tables)
        {
            var w = graph.FindInitializer(t.TableName)!.ToFloatArray();
            var settings = new WeightRoundingSettings { Grid = new WeightGrid(t.Bits, symmetric), GroupSize = Math.Min(t.BlockSize, t.Cols), ClipSteps = clipSteps };
            var q = rtn.Round(w, t.Rows, t.Cols, null, settings);
            if (q.GroupCount != t.BlocksPerRow) throw new InvalidOperationException($"{t.TableName}: {q.GroupCount} groups a row, but {t.BlocksPerRow} blocks.");
            double maxError = MaxAbsError(w, q);
            long bytes = Write(graph, t, q, symmetric);
            results.Add(new EmbeddingResult(t.TableName, t.Gathers.Select(g => g.DisplayName).ToList(), t.Rows, t.Cols, t.Bits, t.BlockSize, t.FloatBytes, bytes, maxError));
            decisions.Add((t.TableName, q));
        }
        if (tables.Count > 0 && model.OpsetVersion(OpDomains.Microsoft) < 1) model.SetOpsetVersion(OpDomains.Microsoft, 1);
        return (results, decisions);
    }

    private static double MaxAbsError(float[] w, QuantizedWeight q)
    {
        var dequantized = q.Dequantize();
        double max = 0;
        for (long i = 0; i < w.LongLength; i++) max = Math.Max(max, Math.Abs(w[i] - dequantized[i]));
        return max;
    }

    // Writes codes, scales and zero points and swaps each Gather for GatherBlockQuantized; returns the bytes stored.
    private static long Write(ModelGraph graph, EmbeddingTable t, QuantizedWeight q, bool symmetric)
    {
        string stem = t.TableName;
        int blocks = t.BlocksPerRow;
        var data = TensorData.Create<byte>(graph.UniqueName(stem + "_q" + t.Bits), [t.Rows, t.Cols * t.Bits / 8], t.Bits == 8 ? q.Codes : NBitsPacking.Pack(q.Codes, t.Bits), ElementType.UInt8);
        var scales = TensorData.FromFloats(graph.UniqueName(stem + "_scales"), [t.Rows, blocks], q.Scales);
        graph.SetInitializer(data);
        graph.SetInitializer(scales);
        long bytes = data.ByteCount + scales.ByteCount;
        var inputs = new List<string> { data.Name, "", scales.Name };
        if (!symmetric)
        {
            int packedBlocks = (blocks * t.Bits + 7) / 8;
            var zeros = new byte[(long)t.Rows * packedBlocks];
            for (int r = 0; r < t.Rows; r++)
                NBitsPacking.Pack(q.ZeroPoints.AsSpan(r * blocks, blocks), t.Bits, zeros.AsSpan(r * packedBlocks, packedBlocks));
            var zeroPoints = TensorData.Create<byte>(graph.UniqueName(stem + "_zero_points"), [t.Rows, packedBlocks], zeros, ElementType.UInt8);
            graph.SetInitializer(zeroPoints);
            bytes += zeroPoints.ByteCount;
            inputs.Add(zeroPoints.Name);
        }
        foreach (var gather in t.Gathers)
        {
            inputs[GatherBlockQuantizedKernel.IndicesInput] = gather.Inputs[GatherBlockQuantizedKernel.IndicesInput];
            var replacement = graph.AddNodeBefore(gather, OpTypes.GatherBlockQuantized, inputs, [gather.Outputs[0]], gather.Name, OpDomains.Microsoft);
            replacement.SetInt("gather_axis", GatherBlockQuantizedKernel.GatherAxis);
            replacement.SetInt("quantize_axis", 1);
            replacement.SetInt("block_size", t.BlockSize);
            replacement.SetInt("bits", t.Bits);
            graph.RemoveNode(gather);
        }
        if (graph.Consumers(t.TableName).Count == 0) graph.RemoveInitializer(t.TableName);
        return bytes;
    }
}
