using Google.Protobuf;
using Onnx;

namespace Shrink.Model;

/// <summary>
/// An ONNX model in memory: the protobuf (<see cref="Proto"/>, which keeps opsets, metadata, doc strings, functions)
/// and an editable view of its main graph (<see cref="Graph"/>). Load with <see cref="Load(string, ModelLoadOptions?)"/>,
/// which validates the file and brings external data into memory; save with <see cref="Save"/>, which writes atomically.
/// </summary>
public sealed class OnnxModel
{
    private OnnxModel(ModelProto proto, string? sourcePath, string? name = null)
    {
        Proto = proto;
        SourcePath = sourcePath;
        Name = name ?? sourcePath ?? "<model>";
        Graph = new ModelGraph(proto.Graph);
    }

    /// <summary>The model protobuf. Its graph's node and initializer lists are refreshed from <see cref="Graph"/> on save.</summary>
    public ModelProto Proto { get; }

    /// <summary>The main graph as an editable IR.</summary>
    public ModelGraph Graph { get; }

    /// <summary>What messages call this model: the path it was loaded from (kept by <see cref="Clone"/>), or the name given.</summary>
    public string Name { get; }

    /// <summary>The full path this model was loaded from, or null when it came from a stream or was built in code.</summary>
    public string? SourcePath { get; }

    /// <summary>The opset version imported for <paramref name="domain"/> (empty or <c>ai.onnx</c> for the default domain), or 0.</summary>
    public long OpsetVersion(string domain = "")
    {
        foreach (var o in Proto.OpsetImport)
        {
            bool same = o.Domain == domain || (IsDefault(o.Domain) && IsDefault(domain));
            if (same) return o.Version;
        }
        return 0;
    }

    private static bool IsDefault(string domain) => domain.Length == 0 || domain == "ai.onnx";

    /// <summary>Sets the opset version for a domain, adding the import if missing.</summary>
    public void SetOpsetVersion(string domain, long version)
    {
        foreach (var o in Proto.OpsetImport)
        {
            if (o.Domain == domain || (IsDefault(o.Domain) && IsDefault(domain)))
            {
                o.Version = version;
                return;
            }
        }
        Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
    }

    /// <summary>
    /// Reads and validates a model file. External data is loaded from the model's folder; locations that are absolute
    /// or leave the folder are refused. Any problem throws <see cref="ShrinkException"/> naming the file and tensor or node.
    /// </summary>
    public static OnnxModel Load(string path, ModelLoadOptions? options = null)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ShrinkException("The model path is empty; name an ONNX model file.");
        if (path.Contains('\0', StringComparison.Ordinal))
            throw new ShrinkException($"The model path '{path.Replace("\0", "\\0", StringComparison.Ordinal)}' contains a NUL character.");
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ShrinkException($"{path}: is a folder, not an ONNX model file.");
        if (!File.Exists(full))
            throw new ShrinkException($"{path}: file not found.");
        // Opening a FIFO would block until something writes to it; devices and sockets are no model files either.
        if (FileKind.NotRegular(full) is string kind)
            throw new ShrinkException($"{path}: is {kind}, not a regular ONNX model file.");
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        if (stream.Length == 0)
            throw new ShrinkException($"{path}: the file is empty.");
        if (stream.Length >= int.MaxValue)
            throw new ShrinkException($"{path}: {stream.Length:N0} bytes is more than one protobuf message can hold (2 GB); larger models keep their weights in external data files.");
        // Parsing from a memory-mapped span copies each tensor once; a Stream parse goes through 4 KiB chunk lists
        // for every large field and was measured 2-5x slower on a 440 MB model (bench/).
        using var mapped = System.IO.MemoryMappedFiles.MemoryMappedFile.CreateFromFile(stream, null, 0, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = mapped.CreateViewAccessor(0, stream.Length, System.IO.MemoryMappedFiles.MemoryMappedFileAccess.Read);
        var handle = view.SafeMemoryMappedViewHandle;
        unsafe
        {
            byte* pointer = null;
            handle.AcquirePointer(ref pointer);
            try
            {
                var bytes = new ReadOnlySpan<byte>(pointer + view.PointerOffset, (int)stream.Length);
                return Load(bytes, Path.GetDirectoryName(full), path, full, options);
            }
            finally
            {
                handle.ReleasePointer();
            }
        }
    }

    private static OnnxModel Load(ReadOnlySpan<byte> bytes, string? baseDirectory, string displayName, string? sourcePath, ModelLoadOptions? options)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ShrinkException($"{displayName}: not a valid ONNX model: the protobuf is truncated or corrupt ({e.Message}).", e);
        }
        catch (Exception e) when (e is OverflowException or OutOfMemoryException or ArgumentException)
        {
            throw new ShrinkException($"{displayName}: not a valid ONNX model: {e.Message}", e);
        }
        return Finish(proto, baseDirectory, displayName, sourcePath, options ?? new ModelLoadOptions());
    }

    /// <summary>Reads and validates a model from a stream; <paramref name="baseDirectory"/> resolves external data (null: none allowed).</summary>
    public static OnnxModel Load(Stream stream, string? baseDirectory = null, string displayName = "<stream>", ModelLoadOptions? options = null) =>
        Load(stream, baseDirectory, displayName, null, options);

    private static OnnxModel Load(Stream stream, string? baseDirectory, string displayName, string? sourcePath, ModelLoadOptions? options)
    {
        options ??= new ModelLoadOptions();
        ModelProto proto;
        try
        {
            var input = new CodedInputStream(stream, leaveOpen: true);
            proto = ModelProto.Parser.ParseFrom(input);
            // The parser stops early at an end-group tag; anything left over means the bytes are not one model.
            if (!input.IsAtEnd)
                throw new ShrinkException($"{displayName}: not a valid ONNX model: bytes remain after the end of the message.");
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ShrinkException($"{displayName}: not a valid ONNX model: the protobuf is truncated or corrupt ({e.Message}).", e);
        }
        catch (Exception e) when (e is OverflowException or OutOfMemoryException or ArgumentException or IOException)
        {
            throw new ShrinkException($"{displayName}: not a valid ONNX model: {e.Message}", e);
        }
        return Finish(proto, baseDirectory, displayName, sourcePath, options);
    }

    private static OnnxModel Finish(ModelProto proto, string? baseDirectory, string displayName, string? sourcePath, ModelLoadOptions options)
    {
        ModelValidator.Validate(proto, displayName);
        IReadOnlyList<string> files = options.LoadExternalData ? ExternalDataResolver.LoadAll(proto, displayName, baseDirectory) : [];
        return new OnnxModel(proto, sourcePath, displayName) { ExternalDataFiles = files };
    }

    /// <summary>Wraps a protobuf built in code (validated like a loaded file).</summary>
    public static OnnxModel FromProto(ModelProto proto, string displayName = "<model>")
    {
        ModelValidator.Validate(proto, displayName);
        return new OnnxModel(proto, null, displayName);
    }

    /// <summary>
    /// Saves atomically (temporary file, then rename). Large models go to an external data file beside the model
    /// (see <see cref="ModelSaveOptions"/>). Refuses to overwrite the file this model was loaded from.
    /// </summary>
    public void Save(string path, ModelSaveOptions? options = null)
    {
        string full = Path.GetFullPath(path);
        var target = FileIdentity.Of(full);
        if (SourcePath is not null && target.SameFileAs(FileIdentity.Of(SourcePath)))
            throw new ShrinkException($"{path}: refusing to overwrite the input model; choose another output path.");
        foreach (var data in ExternalDataFiles)
            if (target.SameFileAs(FileIdentity.Of(data)) || FileIdentity.Of(full + ".data").SameFileAs(FileIdentity.Of(data)))
                throw new ShrinkException($"{path}: refusing to overwrite the input model's external data {data}; choose another output path.");
        Graph.SyncToProto();
        OnnxModelWriter.Write(this, full, options ?? new ModelSaveOptions());
    }

    /// <summary>The serialized model (all data inline); throws when it exceeds protobuf's 2 GB limit.</summary>
    public byte[] ToByteArray()
    {
        Graph.SyncToProto();
        long size = Proto.CalculateSize();
        if (size <= 0 || size >= int.MaxValue)
            throw new ShrinkException("The model exceeds 2 GB; save it with external data instead of serializing it in memory.");
        return Proto.ToByteArray();
    }

    /// <summary>True when the model fits in one protobuf message (under 2 GB).</summary>
    public bool FitsInOneMessage()
    {
        long total = 0;
        foreach (var (t, _) in TensorProtoWalker.All(Proto)) total += t.RawData.Length;
        return total < 1_900_000_000;
    }

    /// <summary>A deep copy sharing the (immutable) tensor bytes, so it costs little memory.</summary>
    public OnnxModel Clone()
    {
        Graph.SyncToProto();
        return new OnnxModel(Proto.Clone(), null, Name);
    }

    /// <summary>
    /// A copy with <paramref name="names"/> added as graph outputs (names already outputs stay as they are), for reading
    /// intermediate values in ONNX Runtime; this model is not modified.
    /// </summary>
    public OnnxModel WithOutputs(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var copy = Clone();
        var existing = new HashSet<string>(copy.Proto.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var n in names)
            if (existing.Add(n)) copy.Proto.Graph.Output.Add(new ValueInfoProto { Name = n });
        // The clone's IR view was built before the outputs were added; ORT reads the proto directly.
        return FromProto(copy.Proto, Name);
    }

    /// <summary>
    /// A copy whose only outputs are <paramref name="names"/> and which keeps only the nodes they depend on, so a run
    /// computes no more than needed (the values are the same: the same kernels run on the same inputs); this model is not
    /// modified. Models with subgraphs (If, Loop, Scan) are only given the outputs (<see cref="WithOutputs"/>), not cut,
    /// as their bodies may read outer values.
    /// </summary>
    public OnnxModel WithOnlyOutputs(IReadOnlyCollection<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var copy = Clone();
        var graph = copy.Proto.Graph;
        if (graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
            return WithOutputs(names);
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var o in node.Output)
                if (o.Length > 0) producer[o] = node;
        var needed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>(names);
        while (pending.Count > 0)
            if (producer.TryGetValue(pending.Pop(), out var node) && needed.Add(node))
                foreach (var i in node.Input)
                    if (i.Length > 0) pending.Push(i);
        var kept = graph.Node.Where(needed.Contains).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        var declared = graph.Output.ToDictionary(o => o.Name, o => o, StringComparer.Ordinal);
        graph.Output.Clear();
        foreach (var n in names.Distinct(StringComparer.Ordinal))
            graph.Output.Add(declared.GetValueOrDefault(n) ?? new ValueInfoProto { Name = n });
        return FromProto(copy.Proto, Name);
    }

    /// <summary>The external data files (full paths) the model was loaded from; empty when all data was inline.</summary>
    public IReadOnlyList<string> ExternalDataFiles { get; private init; } = [];

    /// <summary>Bytes on disk of the model file plus its external data files; null when not loaded from a file.</summary>
    public long? SizeOnDisk => SourcePath is null ? null : new FileInfo(SourcePath).Length + ExternalDataFiles.Sum(f => new FileInfo(f).Length);

    /// <summary>The IR version the model declares.</summary>
    public long IrVersion
    {
        get => Proto.IrVersion;
        set => Proto.IrVersion = value;
    }

    /// <summary>The producer name the model declares ("" when none).</summary>
    public string ProducerName
    {
        get => Proto.ProducerName;
        set => Proto.ProducerName = value;
    }

    /// <summary>The producer version the model declares ("" when none).</summary>
    public string ProducerVersion => Proto.ProducerVersion;

    /// <summary>The opset imports, as declared (domain "" is ai.onnx), in order.</summary>
    public IReadOnlyList<(string Domain, long Version)> OpsetImports => Proto.OpsetImport.Select(o => (o.Domain, o.Version)).ToArray();

    /// <summary>
    /// Reads the main graph of a model ONNX Runtime wrote (its optimized model) for inspection only: not validated, as it
    /// holds contrib and internal operators.
    /// </summary>
    public static ModelGraph ReadGraphForInspection(string path)
    {
        ModelProto proto;
        using (var stream = File.OpenRead(path)) proto = ModelProto.Parser.ParseFrom(stream);
        return new ModelGraph(proto.Graph);
    }

    /// <summary>
    /// A model of one copy of <paramref name="node"/> alone (graph "<paramref name="graphName"/>"): its first input
    /// renamed to <paramref name="input"/>'s name and declared by it, its outputs replaced by one float output
    /// <paramref name="output"/>, its other inputs copies of <paramref name="source"/>'s initializers; the IR version and
    /// default-domain opset of <paramref name="source"/>.
    /// </summary>
    public static OnnxModel SingleNode(OnnxModel source, Node node, ValueInfo input, string output, string graphName, string displayName)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(input);
        var graph = new GraphProto { Name = graphName };
        var copy = node.Proto.Clone();
        copy.Input[0] = input.Name;
        copy.Output.Clear();
        copy.Output.Add(output);
        foreach (var name in copy.Input.Skip(1).Where(n => n.Length > 0))
            graph.Initializer.Add(source.Graph.FindInitializer(name)!.Proto.Clone());
        graph.Node.Add(copy);
        graph.Input.Add(input.ToProto());
        graph.Output.Add(new ValueInfo(output, ElementType.Float, null).ToProto());
        var proto = new ModelProto { IrVersion = source.Proto.IrVersion, Graph = graph };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = source.OpsetVersion() });
        return FromProto(proto, displayName);
    }
}
