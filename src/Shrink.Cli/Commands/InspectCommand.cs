using System.CommandLine;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Evaluation;
using Shrink.Model;
using Shrink.Reports;
using Shrink.Runtime;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink inspect</c>: what a model is made of and what later passes could compress.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The ONNX model to inspect" };
        var json = CommonOptions.Json();
        var shapes = new Option<string[]>("--input-shape") { Description = "Fix symbolic dims to measure MACs: name=1,3,224,224 (repeatable)" };
        var noMacs = new Option<bool>("--no-macs") { Description = "Do not load the model in ONNX Runtime and run it once to check it and measure shapes and MACs" };
        var command = new Command("inspect", "Show opsets, inputs and outputs with shapes, the op histogram, parameters, size, MACs, and the nodes passes could quantize or prune.")
        {
            model, json, shapes, noMacs,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            using var outputs = OutputTransaction.Begin([("MODEL", path)], [("--json", parse.GetValue(json))]);
            var onnx = outputs.LoadModel(path);
            var overrides = CommonOptions.ParseInputShapes(parse.GetValue(shapes) ?? []);
            CommonOptions.CheckInputShapes(overrides, onnx, path);
            IReadOnlyDictionary<string, long[]>? valueShapes = null;
            string? macNote = null;
            if (!parse.GetValue(noMacs))
            {
                RefuseIfRuntimeCannotLoad(onnx);
                try
                {
                    string? probeNote = null;
                    using var random = DataSourceFactory.Open("random:1", new DataOptions { ShapeOverrides = overrides, Note = n => probeNote = n }, ModelInputs.Of(onnx));
                    valueShapes = ValueShapeProbe.Measure(onnx, random.ReadBatches(1, 1).First(), MacCounter.ValuesRead(onnx.Graph));
                    if (probeNote is not null) macNote = $"MACs per sample counted with {probeNote}.";
                }
                catch (ShrinkException e)
                {
                    macNote = $"MACs not measured: {e.Message}";
                }
            }
            var inspection = ModelInspection.Of(onnx, path, valueShapes);
            if (parse.GetValue(json) is string target)
            {
                JsonOutput.Write(target, inspection);
                if (target == "-") return ExitCodes.Ok;
            }
            foreach (var section in Sections(inspection, macNote)) ConsoleOutput.Write(section);
            return ExitCodes.Ok;
        });
        return command;
    }

    // A model ONNX Runtime refuses to load (a cycle, an unknown op, an attribute it rejects) is invalid: say so and
    // fail, rather than print a report with a note that MACs were not measured. Running it on random data may
    // still fail for a valid model (data-dependent shapes); that only costs the MAC count.
    private static void RefuseIfRuntimeCannotLoad(Shrink.Model.OnnxModel onnx)
    {
        try
        {
            using var session = ModelSession.Open(onnx, new RuntimeOptions { Optimize = false });
        }
        catch (ShrinkException e) when (e.InnerException is Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            throw new ShrinkException($"invalid model: {e.Message}", e);
        }
    }

    internal static IReadOnlyList<ReportSection> Sections(ModelInspection m, string? macNote)
    {
        var overview = new MarkdownTable("property", "value")
            .Add("model", m.Model)
            .Add("IR version", m.IrVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("producer", m.Producer.Length > 0 ? m.Producer : "–")
            .Add("opsets", string.Join(", ", m.Opsets.Select(o => $"{o.Key} {o.Value}")))
            .Add("parameters", Format.Count(m.Statistics.Parameters))
            .Add("weight bytes", Format.Bytes(m.Statistics.WeightBytes))
            .Add("size on disk", Format.Bytes(m.Statistics.SizeOnDiskBytes))
            .Add("MACs per sample", Format.Macs(m.Statistics.MacsPerSample))
            .Add("nodes", Format.Count(m.Statistics.OpHistogram.Values.Sum()));
        var io = new MarkdownTable("kind", "name", "type", "shape");
        foreach (var v in m.Inputs) io.Add("input", v.Name, v.Type.OnnxName(), v.ShapeText);
        foreach (var v in m.Outputs) io.Add("output", v.Name, v.Type.OnnxName(), v.ShapeText);
        var ops = new MarkdownTable("op", "count");
        foreach (var (op, count) in m.Statistics.OpHistogram) ops.Add(op, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The subgraph column appears only for models with layers inside If/Loop/Scan bodies.
        bool inSubgraphs = m.Candidates.Any(c => c.Subgraph is not null);
        string[] headers = ["node", "op", "weight shape", "params", "out channels", "quantize", "prune"];
        var candidates = new MarkdownTable(inSubgraphs ? [.. headers, "subgraph"] : headers);
        foreach (var c in m.Candidates)
        {
            string[] row = [c.Node, c.OpType, "[" + string.Join(",", c.WeightShape) + "]", Format.Count(c.Parameters), Format.Count(c.OutputChannels), c.Quantizable ? "yes" : "no", c.Prunable ? "yes" : "no"];
            candidates.Add(inSubgraphs ? [.. row, c.Subgraph ?? "–"] : row);
        }
        var notes = m.Warnings.ToList();
        if (macNote is not null) notes.Add(macNote);
        return
        [
            new ReportSection("Model", overview, notes),
            new ReportSection("Inputs and outputs", io),
            new ReportSection("Operators", ops),
            new ReportSection("Compression candidates (constant weights)", candidates, [$"{m.Candidates.Count} node(s), {Format.Count(m.Candidates.Sum(c => c.Parameters))} parameters."]),
        ];
    }
}
