using Microsoft.ML.OnnxRuntime;
using Shrink.Data;
using Shrink.Model;
using Shrink.Ops;

namespace Shrink.Runtime;

/// <summary>
/// An ONNX Runtime session over an <see cref="OnnxModel"/> or a model file, fed with <see cref="DataBatch"/>es.
/// Outputs come back as float arrays with their shapes, whatever their numeric type.
/// </summary>
public sealed class ModelSession : IModelRunner, IDisposable
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _options;
    private readonly string? _tempDir;
    private readonly RunOptions _runOptions = new();

    private ModelSession(InferenceSession session, SessionOptions options, string displayName, IReadOnlyList<ModelInputSpec> inputs, IReadOnlyList<string> outputs, string? tempDir)
    {
        _session = session;
        _options = options;
        DisplayName = displayName;
        Inputs = inputs;
        OutputNames = outputs;
        _tempDir = tempDir;
    }

    /// <summary>The model's name for messages (its path).</summary>
    public string DisplayName { get; }

    /// <summary>The model's real inputs as it declares them (symbolic dims kept).</summary>
    public IReadOnlyList<ModelInputSpec> Inputs { get; }

    /// <summary>The model's output names, in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    private static readonly object FirstSessionLock = new();
    private static bool? s_firstSessionFlushes;

    /// <summary>
    /// Whether ORT flushes denormals to zero on the thread that created the process's first session (null before any
    /// session): ORT decides it once per process from that session's <see cref="RuntimeOptions.FlushDenormals"/>.
    /// </summary>
    public static bool? DenormalsFlushed
    {
        get
        {
            lock (FirstSessionLock) return s_firstSessionFlushes;
        }
    }

    /// <summary>Creates a session for a model file (ORT reads external data itself).</summary>
    public static ModelSession Open(string path, RuntimeOptions? options = null)
    {
        // Validate the file with our reader first: its messages name the node or tensor, ORT's often do not.
        var model = OnnxModel.Load(path, new ModelLoadOptions { LoadExternalData = false });
        options ??= new RuntimeOptions();
        if (options.FoldWeightDequantize is null) options = options with { FoldWeightDequantize = IsWeightOnly(model) };
        return Create(null, options, path, sessionFromPath: Path.GetFullPath(path), described: model);
    }

    /// <summary>True when the model dequantizes weights but quantizes no activations (weight-only quantization).</summary>
    public static bool IsWeightOnly(OnnxModel model) =>
        model.Graph.Nodes.Any(n => n.OpType == OpTypes.DequantizeLinear) && !model.Graph.Nodes.Any(n => n.OpType is OpTypes.QuantizeLinear or OpTypes.DynamicQuantizeLinear);

    /// <summary>Creates a session for an in-memory model; models over 2 GB go through a temporary folder with external data.</summary>
    public static ModelSession Open(OnnxModel model, RuntimeOptions? options = null, string? displayName = null) =>
        Create(model, options, displayName ?? model.Name, sessionFromPath: null, described: model);

    private static ModelSession Create(OnnxModel? model, RuntimeOptions? options, string displayName, string? sessionFromPath, OnnxModel described)
    {
        options ??= new RuntimeOptions();
        var so = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = options.Optimize ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            EnableCpuMemArena = options.CpuMemoryArena,
        };
        if (options.OptimizedModelPath is not null) so.OptimizedModelFilePath = options.OptimizedModelPath;
        if (options.FoldWeightDequantize ?? (model is not null && IsWeightOnly(model))) so.AddSessionConfigEntry("session.disable_quant_qdq", "1");
        if (options.KeepRecomputedValues) so.AddSessionConfigEntry("optimization.disable_specified_optimizers", "CommonSubexpressionElimination");
        if (options.FlushDenormals) so.AddSessionConfigEntry("session.set_denormal_as_zero", "1");
        string? tempDir = null;
        try
        {
            InferenceSession session;
            if (sessionFromPath is not null)
            {
                session = new InferenceSession(sessionFromPath, so);
            }
            else if (model!.FitsInOneMessage())
            {
                session = new InferenceSession(model.ToByteArray(), so);
            }
            else
            {
                tempDir = Directory.CreateTempSubdirectory("shrink-session-").FullName;
                string file = Path.Combine(tempDir, "model.onnx");
                model.Save(file, new ModelSaveOptions { ExternalData = ExternalDataMode.Always });
                session = new InferenceSession(file, so);
            }
            // ORT sets the calling thread's denormal mode once per process, from the first session it initializes.
            lock (FirstSessionLock) s_firstSessionFlushes ??= options.FlushDenormals;
            var inputs = session.InputNames.Select(name =>
            {
                var meta = session.InputMetadata[name];
                if (!meta.IsTensor)
                    throw new ShrinkException($"{displayName}: input '{name}' is not a tensor; only tensor inputs are supported.");
                var dims = meta.Dimensions.Select(d => d >= 0 ? (long?)d : null).ToArray();
                var symbols = meta.Dimensions.Select((d, k) => d >= 0 ? null : (string?)(meta.SymbolicDimensions.Length > k && meta.SymbolicDimensions[k].Length > 0 ? meta.SymbolicDimensions[k] : null)).ToArray();
                return new ModelInputSpec(name, (ElementType)(int)meta.ElementDataType, dims, symbols);
            }).ToArray();
            var outputs = session.OutputNames.ToArray();
            return new ModelSession(session, so, displayName, ModelInputs.Annotate(inputs, described), outputs, tempDir);
        }
        catch (OnnxRuntimeException e)
        {
            so.Dispose();
            if (tempDir is not null) Directory.Delete(tempDir, recursive: true);
            throw new ShrinkException($"{displayName}: ONNX Runtime cannot load the model: {e.Message}", e);
        }
    }

    /// <summary>Binds a batch's tensors to ORT values once, so timed runs measure only inference.</summary>
    public PreparedInputs Prepare(DataBatch batch)
    {
        var names = new List<string>();
        var values = new List<OrtValue>();
        foreach (var t in batch.Inputs)
        {
            if (!Inputs.Any(i => i.Name == t.Name))
                throw new ShrinkException($"{DisplayName}: the data provides input '{t.Name}', but the model's inputs are {string.Join(", ", Inputs.Select(i => $"'{i.Name}'"))}.");
            names.Add(t.Name);
            values.Add(ToOrtValue(t));
        }
        foreach (var i in Inputs)
            if (!names.Contains(i.Name))
                throw new ShrinkException($"{DisplayName}: the data gives no values for the model's input '{i.Name}'.");
        return new PreparedInputs(names, values);
    }

    private static OrtValue ToOrtValue(BatchTensor t) => t.Data switch
    {
        float[] a => OrtValue.CreateTensorValueFromMemory(a, t.Shape),
        long[] a => OrtValue.CreateTensorValueFromMemory(a, t.Shape),
        int[] a => OrtValue.CreateTensorValueFromMemory(a, t.Shape),
        byte[] a => OrtValue.CreateTensorValueFromMemory(a, t.Shape),
        sbyte[] a => OrtValue.CreateTensorValueFromMemory(a, t.Shape),
        bool[] a => OrtValue.CreateTensorValueFromMemory(a, t.Shape),
        double[] a => OrtValue.CreateTensorValueFromMemory(a, t.Shape),
        Half[] a => OrtValue.CreateTensorValueFromMemory(a.Select(h => (Float16)BitConverter.HalfToUInt16Bits(h)).ToArray(), t.Shape),
        _ => throw new ShrinkException($"Input '{t.Name}': element type {t.Type.OnnxName()} is not supported for inference."),
    };

    /// <summary>Runs once and discards the outputs (for timing).</summary>
    public void RunDiscard(PreparedInputs inputs)
    {
        try
        {
            using var results = _session.Run(_runOptions, inputs.Names, inputs.Values, OutputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ShrinkException($"{DisplayName}: inference failed: {e.Message}", e);
        }
    }

    /// <summary>Runs a batch and returns every output as floats with its shape.</summary>
    public IReadOnlyList<OutputTensor> Run(DataBatch batch)
    {
        using var inputs = Prepare(batch);
        return Run(inputs);
    }

    /// <summary>Runs prepared inputs and returns every output as floats with its shape.</summary>
    public IReadOnlyList<OutputTensor> Run(PreparedInputs inputs)
    {
        try
        {
            using var results = _session.Run(_runOptions, inputs.Names, inputs.Values, OutputNames);
            var list = new List<OutputTensor>(results.Count);
            for (int k = 0; k < results.Count; k++)
                list.Add(OutputTensor.From(OutputNames[k], results[k]));
            return list;
        }
        catch (OnnxRuntimeException e)
        {
            throw new ShrinkException($"{DisplayName}: inference failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs a batch only to learn whether it runs (e.g. probing the longest sequence a model takes): a failure is
    /// returned as its message and not logged by ONNX Runtime.
    /// </summary>
    public bool TryRun(DataBatch batch, out string? error)
    {
        using var inputs = Prepare(batch);
        using var quiet = new RunOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, LogVerbosityLevel = 0 };
        try
        {
            using var results = _session.Run(quiet, inputs.Names, inputs.Values, OutputNames);
            error = null;
            return true;
        }
        catch (OnnxRuntimeException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// Runs prepared inputs and hands each float output to <paramref name="visit"/> without copying it
    /// (the span is valid only during the call). Non-float outputs are skipped.
    /// </summary>
    public void RunVisit(PreparedInputs inputs, IReadOnlyList<string> outputNames, Action<string, ReadOnlySpan<float>> visit)
    {
        try
        {
            using var results = _session.Run(_runOptions, inputs.Names, inputs.Values, outputNames);
            for (int k = 0; k < results.Count; k++)
            {
                if (results[k].IsTensor && results[k].GetTensorTypeAndShape().ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
                    visit(outputNames[k], results[k].GetTensorDataAsSpan<float>());
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ShrinkException($"{DisplayName}: inference failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// Like <see cref="RunVisit(PreparedInputs, IReadOnlyList{string}, Action{string, ReadOnlySpan{float}})"/>, with each
    /// output's shape.
    /// </summary>
    public void RunVisit(PreparedInputs inputs, IReadOnlyList<string> outputNames, Action<string, ReadOnlySpan<float>, long[]> visit)
    {
        try
        {
            using var results = _session.Run(_runOptions, inputs.Names, inputs.Values, outputNames);
            for (int k = 0; k < results.Count; k++)
            {
                if (!results[k].IsTensor) continue;
                var info = results[k].GetTensorTypeAndShape();
                if (info.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
                    visit(outputNames[k], results[k].GetTensorDataAsSpan<float>(), info.Shape);
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ShrinkException($"{DisplayName}: inference failed: {e.Message}", e);
        }
    }

    /// <summary>Runs prepared inputs and returns the element type of every tensor output (non-tensor outputs are skipped).</summary>
    public IReadOnlyDictionary<string, ElementType> RunTypes(PreparedInputs inputs)
    {
        try
        {
            using var results = _session.Run(_runOptions, inputs.Names, inputs.Values, OutputNames);
            var types = new Dictionary<string, ElementType>(StringComparer.Ordinal);
            for (int k = 0; k < results.Count; k++)
                if (results[k].IsTensor) types[OutputNames[k]] = (ElementType)(int)results[k].GetTensorTypeAndShape().ElementDataType;
            return types;
        }
        catch (OnnxRuntimeException e)
        {
            throw new ShrinkException($"{DisplayName}: inference failed: {e.Message}", e);
        }
    }

    /// <summary>Runs prepared inputs and returns the shape of every tensor output (non-tensor outputs are skipped).</summary>
    public IReadOnlyDictionary<string, long[]> RunShapes(PreparedInputs inputs)
    {
        try
        {
            using var results = _session.Run(_runOptions, inputs.Names, inputs.Values, OutputNames);
            var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
            for (int k = 0; k < results.Count; k++)
                if (results[k].IsTensor) shapes[OutputNames[k]] = results[k].GetTensorTypeAndShape().Shape;
            return shapes;
        }
        catch (OnnxRuntimeException e)
        {
            throw new ShrinkException($"{DisplayName}: inference failed: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
        _options.Dispose();
        if (_tempDir is not null)
        {
            try { Directory.Delete(_tempDir, recursive: true); } catch (IOException) { }
        }
    }
}
