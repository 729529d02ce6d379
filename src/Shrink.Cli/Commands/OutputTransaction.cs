using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Cli.Commands;

/// <summary>
/// Every file a command writes, declared before any work starts and written only at the end, or not at all.
/// <list type="bullet">
/// <item>At <see cref="Begin"/>, each output path (<c>-o</c>, <c>--report</c>, <c>--json</c>, the preprocessing
/// sidecar, plot files...) is checked against every input (model, external data, data and label files) and against
/// the other outputs by what the path really names (symbolic links resolved; device and inode compared where known),
/// and refused as a usage error when it collides, is empty, or names a folder or a non-regular file.</item>
/// <item>During the run, outputs are staged in a hidden folder beside their destination (<see cref="StageModel"/>,
/// <see cref="StageText"/>); models are read back from there (evaluation, size).</item>
/// <item><see cref="Commit"/> loads every staged model in ONNX Runtime, checks the staged files again (a model may
/// have grown an external data file) and moves them into place; disposing without committing deletes them.</item>
/// </list>
/// </summary>
internal sealed class OutputTransaction : IDisposable
{
    private readonly List<(string Role, string Path, FileIdentity Id)> _inputs = [];
    private readonly List<(string Role, string Path, FileIdentity Id)> _outputs = [];
    private readonly List<(string Staged, string Final, string Role)> _staged = [];
    private readonly List<string> _stagedModels = [];
    private readonly Dictionary<string, string> _stagingRoots = new(StringComparer.Ordinal);
    private readonly List<string> _createdStagingFolders = [];
    private bool _committed;

    /// <summary>
    /// The user's data, when the command has some: at commit, every staged model also runs one sample of it in ONNX
    /// Runtime (a model can load and still fail on real input, e.g. a Reshape constant that does not fit).
    /// </summary>
    public Func<IReadOnlyList<ModelInputSpec>, IDataSource>? ProbeData { get; set; }

    /// <summary>
    /// The role of the sensitivity cache beside the model: it is written in place when computed (it stays valid if a
    /// later step fails, and an unwritable folder only costs the cache), so it is checked for collisions, not staged.
    /// </summary>
    public const string CacheRole = "the sensitivity cache";

    private OutputTransaction() { }

    /// <summary>
    /// Checks the declared paths (null outputs are skipped; <c>-</c> is standard output) and returns the transaction.
    /// Throws <see cref="UsageException"/> on an empty path, a collision, or an output that is a folder or not a regular file.
    /// </summary>
    public static OutputTransaction Begin(IEnumerable<(string Role, string? Path)> inputs, IEnumerable<(string Role, string? Path)> outputs)
    {
        var t = new OutputTransaction();
        try
        {
            foreach (var (role, path) in inputs)
            {
                if (path is null || path.StartsWith("random:", StringComparison.OrdinalIgnoreCase)) continue;
                if (path.Length == 0) throw new UsageException($"{role}: the path is empty.");
                if (path.Contains('\0', StringComparison.Ordinal)) throw new UsageException($"{role}: the path contains a NUL character.");
                t.AddInput(role, path);
            }
            foreach (var (role, path) in outputs)
            {
                if (path is null || path == "-") continue;
                t.AddOutput(role, path);
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    /// <summary>Adds an input discovered after loading (e.g. a model's external data files) and checks it against the outputs.</summary>
    public void AddInput(string role, string path)
    {
        var id = FileIdentity.Of(path);
        foreach (var o in _outputs)
            if (o.Id.SameFileAs(id)) throw Collision(o.Role, o.Path, role, path);
        _inputs.Add((role, path, id));
        if (Directory.Exists(id.RealPath))
        {
            // A folder input (images): no output may be written inside it.
            foreach (var o in _outputs)
                if (IsInside(o.Id.RealPath, id.RealPath)) throw new UsageException($"{o.Role} {o.Path} is inside the input folder {path} ({role}); write outputs elsewhere.");
        }
    }

    /// <summary>Loads the input model and adds its external data files to the inputs no output may overwrite.</summary>
    public OnnxModel LoadModel(string path)
    {
        var model = OnnxModel.Load(path);
        foreach (var file in model.ExternalDataFiles) AddInput($"the external data of {path}", file);
        return model;
    }

    /// <summary>Declares one more output path and checks it.</summary>
    public void AddOutput(string role, string path)
    {
        if (path.Length == 0) throw new UsageException($"{role}: the path is empty.");
        if (path.IndexOf('\0', StringComparison.Ordinal) >= 0) throw new UsageException($"{role}: the path contains a NUL character.");
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { throw new UsageException($"{role} {path}: not a valid path ({e.Message})."); }
        if (Directory.Exists(full)) throw new UsageException($"{role} {path} is an existing folder; give a file name.");
        if (File.Exists(full) && !FileIdentity.IsRegularFile(full)) throw new UsageException($"{role} {path} exists and is not a regular file (a FIFO, device or socket); refusing to write to it.");
        for (string? dir = Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir)) throw new UsageException($"{role} {path}: '{dir}' is a file, not a folder.");
            if (Directory.Exists(dir)) break;
        }
        var id = FileIdentity.Of(full);
        foreach (var i in _inputs)
        {
            if (i.Id.SameFileAs(id)) throw Collision(role, path, i.Role, i.Path);
            if (Directory.Exists(i.Id.RealPath) && IsInside(id.RealPath, i.Id.RealPath))
                throw new UsageException($"{role} {path} is inside the input folder {i.Path} ({i.Role}); write outputs elsewhere.");
        }
        foreach (var o in _outputs)
            if (o.Id.SameFileAs(id)) throw new UsageException($"{role} {path} and {o.Role} {o.Path} name the same file; give each output its own path.");
        _outputs.Add((role, path, id));
        if (role != CacheRole) StagingRootFor(full, role); // a folder we cannot write to fails now, not after the work
    }

    /// <summary>The model output plus, when the input has a preprocessing sidecar, the output's sidecar.</summary>
    public static IEnumerable<(string Role, string? Path)> ModelOutputs(string input, string output)
    {
        yield return ("--output", output);
        if (output.Length > 0 && File.Exists(Preprocessing.SidecarPath(input)))
            yield return ("the preprocessing sidecar of --output", Preprocessing.SidecarPath(output));
    }

    /// <summary>Saves <paramref name="model"/> into the staging area for <paramref name="finalPath"/>, with the input's sidecar; returns the staged path (to evaluate or measure).</summary>
    public string StageModel(OnnxModel model, string input, string finalPath)
    {
        string staged = StagedPath(finalPath, "--output");
        model.Save(staged);
        _stagedModels.Add(staged);
        StageSidecar(input, finalPath);
        return staged;
    }

    /// <summary>Stages a copy of an already written model file (e.g. the chosen trial) with the input's sidecar.</summary>
    public string StageModelCopy(string modelFile, string input, string finalPath)
    {
        string staged = StagedPath(finalPath, "--output");
        File.Copy(modelFile, staged, overwrite: false);
        string data = modelFile + ".data";
        if (File.Exists(data)) File.Copy(data, staged + ".data", overwrite: false);
        _stagedModels.Add(staged);
        StageSidecar(input, finalPath);
        return staged;
    }

    /// <summary>Stages a text output (report, JSON).</summary>
    public void StageText(string finalPath, string text, string role)
    {
        string staged = StagedPath(finalPath, role);
        AtomicFile.WriteAllText(staged, text);
    }

    /// <summary>Stages a file written by <paramref name="write"/> (e.g. a plot) at the returned path.</summary>
    public void StageFile(string finalPath, string role, Action<string> write) => write(StagedPath(finalPath, role));

    /// <summary>The size in bytes of a staged output (the model plus its external data).</summary>
    public static long StagedSize(string staged) => new FileInfo(staged).Length + (File.Exists(staged + ".data") ? new FileInfo(staged + ".data").Length : 0);

    /// <summary>Loads every staged model in ONNX Runtime, then moves all staged files into place.</summary>
    public void Commit()
    {
        foreach (var model in _stagedModels)
        {
            var final = _staged.First(s => s.Staged == model).Final;
            using (var session = OpenStaged(model, final))
            {
                if (ProbeData is not null) RunOneSample(session, final);
            }
        }
        // Files the writers added beside a staged model (external data) are outputs too: check them like the others.
        var moves = new List<(string From, string To, string Role)>();
        foreach (var (staged, final, role) in _staged)
        {
            moves.Add((staged, final, role));
            if (_stagedModels.Contains(staged))
                foreach (var extra in Directory.EnumerateFiles(Path.GetDirectoryName(staged)!))
                    if (extra != staged && Path.GetFileName(extra).StartsWith(Path.GetFileName(staged), StringComparison.Ordinal) && !_staged.Any(s => s.Staged == extra))
                        moves.Add((extra, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(final))!, Path.GetFileName(extra)), $"the external data of {role}"));
        }
        foreach (var (_, to, role) in moves)
        {
            var id = FileIdentity.Of(to);
            foreach (var i in _inputs)
                if (i.Id.SameFileAs(id)) throw Collision(role, to, i.Role, i.Path);
        }
        // Data files first, so a model never appears without its data.
        foreach (var (from, to, _) in moves.OrderBy(m => m.To.EndsWith(".data", StringComparison.Ordinal) ? 0 : 1))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(to))!);
            File.Move(from, to, overwrite: true);
        }
        _committed = true;
        DeleteStaging();
    }

    private static ModelSession OpenStaged(string model, string final)
    {
        try
        {
            return ModelSession.Open(model, new RuntimeOptions { IntraOpThreads = 1 });
        }
        catch (ShrinkException e)
        {
            throw new ShrinkException($"{final}: the model written does not load in ONNX Runtime, so nothing was written ({e.Message.Replace(model, final, StringComparison.Ordinal)})", e);
        }
    }

    private void RunOneSample(ModelSession session, string final)
    {
        using var data = ProbeData!(session.Inputs);
        var batch = data.ReadBatches(1, 1).FirstOrDefault();
        if (batch is null) return;
        try
        {
            session.Run(batch);
        }
        catch (Exception e) when (e is ShrinkException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            throw new ShrinkException($"{final}: the model written loads but fails on one sample of the data in ONNX Runtime, so nothing was written ({e.Message})", e);
        }
    }

    public void Dispose()
    {
        if (!_committed) DeleteStaging();
    }

    private void StageSidecar(string input, string finalPath)
    {
        string from = Preprocessing.SidecarPath(input), to = Preprocessing.SidecarPath(finalPath);
        if (File.Exists(from) && !FileIdentity.Of(from).SameFileAs(FileIdentity.Of(to)))
            StageText(to, File.ReadAllText(from), "the preprocessing sidecar of --output");
    }

    // Outputs are staged in a hidden folder in the nearest existing folder of their destination (the same file system,
    // so the final move is a rename), one subfolder per output so an external data file keeps its relative name.
    private string StagedPath(string finalPath, string role)
    {
        string full = Path.GetFullPath(finalPath);
        string root = StagingRootFor(full, role);
        string folder = Path.Combine(root, _staged.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        string staged = Path.Combine(folder, Path.GetFileName(full));
        _staged.Add((staged, full, role));
        return staged;
    }

    private string StagingRootFor(string full, string role)
    {
        string? existing = Path.GetDirectoryName(full);
        while (existing is not null && !Directory.Exists(existing)) existing = Path.GetDirectoryName(existing);
        existing ??= Path.GetTempPath();
        if (!_stagingRoots.TryGetValue(existing, out string? root))
        {
            root = Path.Combine(existing, $".shrink-staging-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ShrinkException($"{role} {full}: cannot write in the folder {existing} ({e.Message}); nothing was done.", e);
            }
            _createdStagingFolders.Add(root);
            _stagingRoots[existing] = root;
        }
        return root;
    }

    private void DeleteStaging()
    {
        foreach (var root in _createdStagingFolders)
        {
            try { if (Directory.Exists(root)) Directory.Delete(root, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        _createdStagingFolders.Clear();
    }

    private static bool IsInside(string path, string folder) =>
        path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static UsageException Collision(string outRole, string outPath, string inRole, string inPath) =>
        new($"{outRole} {outPath} is the same file as {inRole} {inPath}; inputs are never overwritten, so choose another path (nothing was written).");
}
