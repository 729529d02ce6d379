using Onnx;
using Shrink.Tests.TestSupport;
using static Shrink.Tests.TestSupport.TinyModels;

namespace Shrink.Tests.Data;

/// <summary>Tiny models whose inputs random data must get right: token ids, scalars, recurrent states, a fixed batch.</summary>
internal static class InputModels
{
    /// <summary>BERT-style: input_ids [batch,seq] → Gather(7x4 embedding), token_type_ids → Gather(2x4 embedding, through a Cast), Add.</summary>
    public static ModelProto Embeddings()
    {
        var graph = new GraphProto { Name = "embeddings" };
        graph.Input.Add(TensorInfo("input_ids", TinyModels.Int64, "batch", "seq"));
        graph.Input.Add(TensorInfo("token_type_ids", TinyModels.Int64, "batch", "seq"));
        graph.Output.Add(FloatInfo("out", "batch", "seq", 4));
        graph.Initializer.Add(FloatTensor("word_embeddings", [7, 4], RandomFloats(28, 1)));
        graph.Initializer.Add(FloatTensor("token_type_embeddings", [2, 4], RandomFloats(8, 2)));
        var cast = Node("Cast", ["token_type_ids"], ["types32"], "cast");
        cast.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Int32 });
        graph.Node.Add(cast);
        graph.Node.Add(Node("Gather", ["word_embeddings", "input_ids"], ["words"], "gather_words"));
        graph.Node.Add(Node("Gather", ["token_type_embeddings", "types32"], ["types"], "gather_types"));
        graph.Node.Add(Node("Add", ["words", "types"], ["out"], "add"));
        return BuildModel(graph);
    }

    /// <summary>x [1,64] → MatMul(64x32) → Relu → MatMul(32x3) → y [1,3]: an export with the batch fixed at 1.</summary>
    public static ModelProto FixedBatchOne()
    {
        var graph = new GraphProto { Name = "fixed_batch" };
        graph.Input.Add(FloatInfo("x", 1, 64));
        graph.Output.Add(FloatInfo("y", 1, 3));
        graph.Initializer.Add(FloatTensor("W1", [64, 32], RandomFloats(64 * 32, 3)));
        graph.Initializer.Add(FloatTensor("W2", [32, 3], RandomFloats(32 * 3, 4)));
        graph.Node.Add(Node("MatMul", ["x", "W1"], ["hidden"], "matmul1"));
        graph.Node.Add(Node("Relu", ["hidden"], ["act"], "relu"));
        graph.Node.Add(Node("MatMul", ["act", "W2"], ["y"], "matmul2"));
        return BuildModel(graph);
    }

    /// <summary>x [batch,4] and a recurrent state h [2,batch,4]: y = x + sum over layers of h.</summary>
    public static ModelProto RecurrentState()
    {
        var graph = new GraphProto { Name = "recurrent" };
        graph.Input.Add(FloatInfo("x", "batch", 4));
        graph.Input.Add(FloatInfo("h", 2, "batch", 4));
        graph.Output.Add(FloatInfo("y", "batch", 4));
        graph.Initializer.Add(RawTensor("layers", TinyModels.Int64, [1], BitConverter.GetBytes(0L)));
        var sum = Node("ReduceSum", ["h", "layers"], ["state"], "sum_layers");
        sum.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Add(sum);
        graph.Node.Add(Node("Add", ["x", "state"], ["y"], "add"));
        return BuildModel(graph);
    }

    /// <summary>x [batch,4] times a declared scalar sample_rate (shape []).</summary>
    public static ModelProto ScalarInput()
    {
        var graph = new GraphProto { Name = "scalar" };
        graph.Input.Add(FloatInfo("x", "batch", 4));
        graph.Input.Add(FloatInfo("sample_rate"));
        graph.Output.Add(FloatInfo("y", "batch", 4));
        graph.Node.Add(Node("Mul", ["x", "sample_rate"], ["y"], "scale"));
        return BuildModel(graph);
    }

    /// <summary>Writes <paramref name="model"/> into <paramref name="dir"/> as <paramref name="name"/>.onnx.</summary>
    public static string Write(ModelProto model, TempDirectory dir, string name) => WriteTo(model, dir.File(name + ".onnx"));
}
