using Shrink.Data;
using Shrink.Model;
using Shrink.Ops;
using Shrink.Runtime;

namespace Shrink.Evaluation;

/// <summary>
/// A classifier's penultimate features, for Fréchet distances between image sets: the input of its last Gemm or MatMul
/// (the classification head), found from the graph and exposed as an extra output; preprocessing from the
/// classifier's <c>.preprocess.json</c> sidecar (scale, mean, std), applied the same way to real and generated images.
/// </summary>
public sealed class ClassifierFeatures : IDisposable
{
    private readonly ModelSession _session;
    private readonly string[] _outputs;

    private ClassifierFeatures(ModelSession session, string tensor, string head, Preprocessing preprocessing, string path)
    {
        _session = session;
        Tensor = tensor;
        Head = head;
        Preprocessing = preprocessing;
        Path = path;
        _outputs = [tensor];
        Input = preprocessing.InputName is string name
            ? session.Inputs.FirstOrDefault(i => i.Name == name) ?? throw new ShrinkException($"{path}: the preprocessing sidecar names input '{name}', but the model's inputs are {string.Join(", ", session.Inputs.Select(i => $"'{i.Name}'"))}.")
            : session.Inputs.Count == 1 ? session.Inputs[0] : throw new ShrinkException($"{path}: a feature model needs one input (or \"input\" in its .preprocess.json), not {session.Inputs.Count}.");
    }

    /// <summary>The classifier file.</summary>
    public string Path { get; }

    /// <summary>The feature tensor: the head's input.</summary>
    public string Tensor { get; }

    /// <summary>The head node (the last Gemm or MatMul).</summary>
    public string Head { get; }

    /// <summary>The preprocessing from the sidecar (the default, none, when there is no sidecar).</summary>
    public Preprocessing Preprocessing { get; }

    /// <summary>The image input.</summary>
    public ModelInputSpec Input { get; }

    /// <summary>Opens <paramref name="path"/> with its head's input exposed.</summary>
    /// <exception cref="ShrinkException">The file is not a model, has no Gemm/MatMul, or its head takes a constant or transposed input.</exception>
    public static ClassifierFeatures Open(string path, RuntimeOptions? runtime = null)
    {
        FileProbe.RequireRegularFile(path, "feature model");
        var model = OnnxModel.Load(path);
        var graph = model.Graph;
        var head = graph.TopologicalOrder().LastOrDefault(n => n.OpType is OpTypes.Gemm or OpTypes.MatMul)
            ?? throw new ShrinkException($"{path}: no Gemm or MatMul node; the features are the input of a classifier's last Gemm/MatMul (its head).");
        if (head.OpType == OpTypes.Gemm && head.GetInt("transA", 0) != 0)
            throw new ShrinkException($"{path}: the head {head.DisplayName} transposes its input (transA=1); its rows are not per-sample features.");
        string tensor = head.Inputs.Count > 0 ? head.Inputs[0] : "";
        if (tensor.Length == 0 || graph.FindInitializer(tensor) is not null || (graph.Producer(tensor)?.ConstantValue() is not null))
            throw new ShrinkException($"{path}: the head {head.DisplayName}'s first input is a constant, not features.");
        if (!graph.IsGraphOutput(tensor)) graph.AddGraphOutput(tensor);
        var preprocessing = Preprocessing.LoadSidecar(path) ?? new Preprocessing();
        var session = ModelSession.Open(model, runtime, path);
        try
        {
            return new ClassifierFeatures(session, tensor, head.DisplayName, preprocessing, path);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Adds the features of <paramref name="batch"/> to <paramref name="moments"/> (created on the first call, once the dimension is known).</summary>
    /// <exception cref="ShrinkException">Inference fails or the feature size changes.</exception>
    public void Add(DataBatch batch, ref FeatureMoments? moments)
    {
        using var inputs = _session.Prepare(batch);
        FeatureMoments? m = moments;
        _session.RunVisit(inputs, _outputs, (_, values, shape) =>
        {
            int d = (int)(values.Length / Math.Max(1, batch.Count));
            if (d * batch.Count != values.Length || shape.Length == 0 || shape[0] != batch.Count)
                throw new ShrinkException($"{Path}: the features '{Tensor}' have shape [{string.Join(",", shape)}], not one row per sample of the batch of {batch.Count}.");
            m ??= new FeatureMoments(d);
            if (m.Dimension != d)
                throw new ShrinkException($"{Path}: the features '{Tensor}' have {d} values per sample here but {m.Dimension} before.");
            m.Add(values);
        });
        moments = m ?? throw new ShrinkException($"{Path}: the features '{Tensor}' are not float values.");
    }

    /// <summary>Feature moments of a data set (<c>--fd-data</c>), read with the sidecar's preprocessing: at most <paramref name="limit"/> samples.</summary>
    /// <exception cref="ShrinkException">The data does not open or does not fit the classifier.</exception>
    public FeatureMoments Measure(string dataSpec, long? limit, int batchSize, IProgress<ProgressInfo>? progress = null)
    {
        using var data = DataSourceFactory.Open(dataSpec, new DataOptions { Preprocessing = Preprocessing with { InputName = Input.Name } }, _session.Inputs);
        FeatureMoments? moments = null;
        long done = 0, total = Math.Min(limit ?? long.MaxValue, data.Count ?? long.MaxValue);
        foreach (var batch in data.ReadBatches(batchSize, limit))
        {
            Add(batch, ref moments);
            done += batch.Count;
            progress?.Report(new ProgressInfo("reference features", done, total == long.MaxValue ? null : total));
        }
        return moments is { Count: >= 2 } ? moments : throw new ShrinkException($"{dataSpec}: a Fréchet distance needs at least 2 images, not {done}.");
    }

    /// <summary>
    /// Adds the features of <paramref name="count"/> generated images in [−1, 1] (<paramref name="x"/>, [count, ..<paramref name="sampleShape"/>])
    /// to <paramref name="moments"/>: each value becomes an 8-bit pixel round((x + 1)·127.5), then goes through the
    /// sidecar's preprocessing as a real image's pixel does.
    /// </summary>
    /// <exception cref="ShrinkException">The image shape does not fit the classifier's input.</exception>
    public void AddGenerated(ReadOnlySpan<float> x, int count, IReadOnlyList<long> sampleShape, ref FeatureMoments? moments)
    {
        CheckShape(sampleShape);
        int n = x.Length / Math.Max(1, count);
        var pixels = new byte[x.Length];
        for (int i = 0; i < x.Length; i++)
            pixels[i] = (byte)MathF.Round((Math.Clamp(x[i], -1f, 1f) + 1f) * 127.5f, MidpointRounding.ToEven);
        int channels = Preprocessing.Layout == TensorLayout.NCHW ? (int)sampleShape[0] : (int)sampleShape[^1];
        var normalizer = new Normalizer(Preprocessing, channels, Path);
        var values = new float[x.Length];
        int inner = Preprocessing.Layout == TensorLayout.NCHW ? n / channels : 1;
        for (int j = 0; j < count; j++)
            normalizer.Apply<byte>(pixels.AsSpan(j * n, n), values.AsSpan(j * n, n), inner);
        long[] shape = [count, .. sampleShape];
        Add(new DataBatch([new BatchTensor(Input.Name, ElementType.Float, shape, values)], count, null), ref moments);
    }

    private void CheckShape(IReadOnlyList<long> sampleShape)
    {
        var dims = Input.Dims;
        bool fits = dims.Count == sampleShape.Count + 1 && Input.Type == ElementType.Float;
        for (int k = 0; fits && k < sampleShape.Count; k++)
            fits = dims[k + 1] is null || dims[k + 1] == sampleShape[k];
        if (!fits)
            throw new ShrinkException($"{Path}: the classifier's input '{Input.Name}' {Input.ShapeText} ({Input.Type.OnnxName()}) does not take the generated images [batch,{string.Join(",", sampleShape)}].");
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
