using System.IO.Compression;
using Onnx;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Data;

/// <summary>Writers for arrays by input name (.npz, JSON Lines) and a tiny two-input model that reads them.</summary>
internal static class NamedArrayFixtures
{
    /// <summary>Writes an .npz: one NAME.npy member per array, stored or deflated as numpy.savez / savez_compressed do.</summary>
    public static string Npz(string path, bool compressed, params (string Name, byte[] Npy)[] arrays)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        foreach (var (name, npy) in arrays)
        {
            var entry = zip.CreateEntry(name + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var stream = entry.Open();
            stream.Write(npy);
        }
        return path;
    }

    /// <summary>Writes <paramref name="lines"/> as a text file.</summary>
    public static string Lines(string path, params string[] lines)
    {
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    /// <summary>
    /// x float [batch,features] and a timestep t int64 [batch] (like a diffusion model's): y = MatMul(x · float(t), W[features,3]) + b
    /// (16 features and more reach the int8 MatMul kernel).
    /// </summary>
    public static ModelProto TwoInputs(int features = 16)
    {
        var graph = new GraphProto { Name = "two_inputs" };
        graph.Input.Add(FloatInfo("x", "batch", features));
        graph.Input.Add(TensorInfo("t", TestSupport.TinyModels.Int64, "batch"));
        graph.Output.Add(FloatInfo("y", "batch", 3));
        graph.Initializer.Add(FloatTensor("W", [features, 3], RandomFloats(features * 3, 5)));
        graph.Initializer.Add(FloatTensor("b", [3], RandomFloats(3, 6)));
        graph.Initializer.Add(RawTensor("axes", TestSupport.TinyModels.Int64, [1], BitConverter.GetBytes(1L)));
        var cast = Node("Cast", ["t"], ["tf"], "cast_t");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
        graph.Node.Add(cast);
        graph.Node.Add(Node("Unsqueeze", ["tf", "axes"], ["tcol"], "unsqueeze_t"));
        graph.Node.Add(Node("Mul", ["x", "tcol"], ["scaled"], "scale"));
        graph.Node.Add(Node("MatMul", ["scaled", "W"], ["mm"], "matmul"));
        graph.Node.Add(Node("Add", ["mm", "b"], ["y"], "add"));
        return BuildModel(graph);
    }

    /// <summary>A BERT-like model: input_ids, attention_mask and token_type_ids [batch,seq] → Gather embeddings, masked, summed.</summary>
    public static ModelProto TokenModel()
    {
        var graph = new GraphProto { Name = "tokens" };
        graph.Input.Add(TensorInfo("input_ids", TestSupport.TinyModels.Int64, "batch", "seq"));
        graph.Input.Add(TensorInfo("attention_mask", TestSupport.TinyModels.Int64, "batch", "seq"));
        graph.Input.Add(TensorInfo("token_type_ids", TestSupport.TinyModels.Int64, "batch", "seq"));
        graph.Output.Add(FloatInfo("out", "batch", "seq", 4));
        graph.Initializer.Add(FloatTensor("word_embeddings", [7, 4], RandomFloats(28, 1)));
        graph.Initializer.Add(FloatTensor("type_embeddings", [2, 4], RandomFloats(8, 2)));
        graph.Initializer.Add(RawTensor("last", TestSupport.TinyModels.Int64, [1], BitConverter.GetBytes(-1L)));
        var cast = Node("Cast", ["attention_mask"], ["maskf"], "cast_mask");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
        graph.Node.Add(cast);
        graph.Node.Add(Node("Unsqueeze", ["maskf", "last"], ["mask3"], "unsqueeze_mask"));
        graph.Node.Add(Node("Gather", ["word_embeddings", "input_ids"], ["words"], "gather_words"));
        graph.Node.Add(Node("Gather", ["type_embeddings", "token_type_ids"], ["types"], "gather_types"));
        graph.Node.Add(Node("Add", ["words", "types"], ["sum"], "add"));
        graph.Node.Add(Node("Mul", ["sum", "mask3"], ["out"], "mask"));
        return BuildModel(graph);
    }
}
