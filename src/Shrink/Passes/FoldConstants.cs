using System.Globalization;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Registration;

namespace Shrink.Passes;

/// <summary>
/// Computes Cast, Transpose and Identity nodes whose data input is an initializer, replacing each by an initializer named
/// as its output. Float16 exports often store every weight in half precision behind a <c>Cast</c> to float; once folded,
/// the weights are float initializers that the quantizers find like those of a float32 export. Chains (a Cast of a
/// Transpose of an initializer) fold in one run; initializers no longer read are removed.
/// </summary>
/// <remarks>
/// A Cast folds when it converts between float, float16, bfloat16 and double (other targets, such as integer casts whose
/// rounding and saturation rules differ, stay). A node whose output is a graph output, or that is not in the default
/// domain, stays. Nodes inside subgraphs are not touched.
/// </remarks>
[Registered("fold-constants", "computes Cast, Transpose and Identity nodes of initializers into initializers", Order = 1)]
public sealed class FoldConstants : IGraphPass
{
    private static readonly HashSet<ElementType> FloatTypes = [ElementType.Float, ElementType.Float16, ElementType.BFloat16, ElementType.Double];

    /// <inheritdoc />
    public string Name => "fold-constants";

    /// <inheritdoc />
    public GraphPassResult Apply(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var details = new List<string>();
        var released = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.TopologicalOrder())
        {
            if (!(node.Domain.Length == 0 || node.Domain == "ai.onnx") || node.Outputs.Count != 1 || node.Inputs.Count < 1) continue;
            string output = node.Outputs[0];
            if (output.Length == 0 || graph.IsGraphOutput(output) || graph.FindInitializer(output) is not null) continue;
            if (graph.FindInitializer(node.Inputs[0]) is not { } input) continue;
            var folded = node.OpType switch
            {
                OpTypes.Cast => Cast(input, node),
                OpTypes.Transpose => Transpose(input, node),
                OpTypes.Identity => Copy(input),
                _ => null,
            };
            if (folded is null) continue;
            folded.Rename(output);
            graph.RemoveNode(node);
            graph.SetInitializer(folded);
            released.Add(input.Name);
            details.Add($"{node.DisplayName} ({node.OpType}) of '{input.Name}' → initializer '{output}' {folded.Type.OnnxName()} [{string.Join(",", folded.Dims.Select(d => d.ToString(CultureInfo.InvariantCulture)))}]");
        }
        foreach (var name in released)
        {
            if (graph.Consumers(name).Count == 0 && !graph.IsGraphOutput(name)) graph.RemoveInitializer(name);
        }
        return details.Count == 0 ? GraphPassResult.None : new GraphPassResult(details.Count, details);
    }

    private static TensorData Copy(TensorData input) => input.Clone();

    private static TensorData? Cast(TensorData input, Node node)
    {
        var to = (ElementType)node.GetInt("to", 0);
        if (!FloatTypes.Contains(input.Type) || !FloatTypes.Contains(to)) return null;
        if (to == input.Type) return Copy(input);
        var dims = input.Dims.ToArray();
        if (to == ElementType.Double)
        {
            // Through double directly: float16 and float convert to double exactly.
            var wide = input.Type == ElementType.Float16 ? Widen(input.AsSpan<Half>()) : Array.ConvertAll(input.ToFloatArray(), v => (double)v);
            return TensorData.Create<double>("", dims, wide, ElementType.Double);
        }
        // Double → float → float16 rounds twice; ONNX Runtime's Cast does the same for double inputs.
        var values = input.ToFloatArray();
        return to switch
        {
            ElementType.Float => TensorData.FromFloats("", dims, values),
            ElementType.Float16 => TensorData.Create("", dims, Array.ConvertAll(values, v => (Half)v), ElementType.Float16),
            _ => TensorData.Create("", dims, Array.ConvertAll(values, BFloat16Bits), ElementType.BFloat16),
        };
    }

    private static double[] Widen(ReadOnlySpan<Half> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (double)values[i];
        return result;
    }

    // Round to nearest even, as ONNX Runtime's float → bfloat16 cast (NaN kept quiet).
    private static ushort BFloat16Bits(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint rounded = bits + 0x7FFF + ((bits >> 16) & 1);
        return (ushort)(rounded >> 16);
    }

    private static TensorData? Transpose(TensorData input, Node node)
    {
        var dims = input.Dims.ToArray();
        int rank = dims.Length;
        var perm = node.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank || perm.Distinct().Count() != rank || perm.Any(p => p < 0 || p >= rank)) return null;
        int width = input.Type.BitWidth();
        if (width % 8 != 0 || width == 0) return null; // packed 4-bit and string tensors stay
        int size = width / 8;
        var source = input.RawBytes;
        var result = new byte[source.Length];
        var outDims = perm.Select(p => dims[p]).ToArray();
        // Strides of the input, in elements, read in output order.
        var inStrides = new long[rank];
        long stride = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            inStrides[d] = stride;
            stride *= dims[d];
        }
        var strides = perm.Select(p => inStrides[p]).ToArray();
        var index = new long[rank];
        long count = input.ElementCount;
        for (long i = 0; i < count; i++)
        {
            long from = 0;
            for (int d = 0; d < rank; d++) from += index[d] * strides[d];
            source.Slice((int)(from * size), size).CopyTo(result.AsSpan((int)(i * size), size));
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < outDims[d]) break;
                index[d] = 0;
            }
        }
        var t = TensorData.Create<byte>("", outDims, result, ElementType.UInt8);
        t.Relabel(input.Type);
        return t;
    }
}
