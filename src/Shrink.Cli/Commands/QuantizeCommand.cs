using System.CommandLine;
using Shrink.Calibration;
using Shrink.Cli.Terminal;
using Shrink.Data;
using Shrink.Graph;
using Shrink.Onnx;
using Shrink.Quantization;
using Shrink.Quantization.Dynamic;
using Shrink.Reports;

namespace Shrink.Cli.Commands;

/// <summary><c>shrink quantize</c>: int8 post-training quantization, calibrated static QDQ or dynamic.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "The float ONNX model" };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the quantized model", Required = true };
        var mode = new Option<string>("--mode") { Description = "static (calibrated QDQ, needs --data) or dynamic (MatMul/Gemm weights int8, activations quantized at run time)", DefaultValueFactory = _ => "static" };
        mode.AcceptOnlyFromAmong("static", "dynamic");
        var calibration = new Option<string>("--calibration") { Description = "Range method: mse (default: the clip range with the least expected squared error), minmax, percentile or entropy (KL)", DefaultValueFactory = _ => "mse" };
        calibration.AcceptOnlyFromAmong("minmax", "percentile", "entropy", "mse");
        var percentile = new Option<double>("--percentile") { Description = "Percentile for --calibration percentile", DefaultValueFactory = _ => 99.99 };
        var activations = new Option<string>("--activations") { Description = "Activation type: uint8 (default, fastest on x86) or int8", DefaultValueFactory = _ => "uint8" };
        activations.AcceptOnlyFromAmong("uint8", "int8");
        var symmetric = new Option<bool>("--symmetric-activations") { Description = "Symmetric activation ranges (zero point in the middle)" };
        var perTensor = new Option<bool>("--per-tensor-weights") { Description = "One weight scale per tensor instead of per output channel" };
        var excludeNodes = new Option<string?>("--exclude-nodes") { Description = "Comma-separated node names to leave in float" };
        var excludeOps = new Option<string?>("--exclude-ops") { Description = "Comma-separated op types to leave in float" };
        var report = new Option<string?>("--report") { Description = "Write a Markdown report (per-layer error, fusion check, suggestions)" };
        var json = CommonOptions.Json();
        var analysis = new Option<int>("--analysis-samples") { Description = "Samples for the per-layer error report (0 skips it)", DefaultValueFactory = _ => 128 };
        var batch = new Option<int>("--calibration-batch") { Description = "Batch size while calibrating", DefaultValueFactory = _ => 64 };
        var data = new DataArguments(dataRequired: false);
        var command = new Command("quantize", "Quantize to int8: calibrated static QDQ (fused by ONNX Runtime into integer kernels) or dynamic.")
        {
            model, output, mode, calibration, percentile, activations, symmetric, perTensor, excludeNodes, excludeOps, report, json, analysis, batch,
        };
        data.AddTo(command);
        command.SetAction(parse =>
        {
            string input = parse.GetValue(model)!, outPath = parse.GetValue(output)!;
            if (Path.GetFullPath(input) == Path.GetFullPath(outPath))
                throw new UsageException("--output must differ from the input model: the input is never modified.");
            var options = new StaticQuantizationOptions
            {
                ActivationType = parse.GetValue(activations) == "int8" ? ElementType.Int8 : ElementType.UInt8,
                SymmetricActivations = parse.GetValue(symmetric),
                PerChannelWeights = !parse.GetValue(perTensor),
                Calibration = parse.GetValue(calibration)!,
                CalibrationSettings = new CalibrationSettings { Percentile = parse.GetValue(percentile) },
                Samples = parse.GetValue(data.Samples) ?? 512,
                BatchSize = Positive(parse.GetValue(batch), "--calibration-batch"),
                ExcludeNodes = List(parse.GetValue(excludeNodes)),
                ExcludeOps = List(parse.GetValue(excludeOps)),
                AnalysisSamples = Math.Max(0, parse.GetValue(analysis)),
            };
            var onnx = OnnxModel.Load(input);
            QuantizationResult result;
            if (parse.GetValue(mode) == "dynamic")
            {
                result = new DynamicQuantizer(options).Quantize(onnx);
            }
            else
            {
                string dataSpec = parse.GetValue(data.Data) ?? throw new UsageException("static quantization needs calibration data: --data PATH (or use --mode dynamic).");
                var dataOptions = data.Bind(parse, input);
                result = ConsoleOutput.WithProgress("quantize", progress =>
                    new StaticQuantizer(options).Quantize(onnx, inputs => DataSourceFactory.Open(dataSpec, dataOptions, inputs), progress));
            }
            string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            result.Model.Save(outPath);
            CopySidecar(input, outPath);
            long inBytes = onnx.SizeOnDisk ?? 0, outBytes = new FileInfo(outPath).Length;
            string? target = parse.GetValue(json);
            if (target != "-")
            {
                foreach (var s in QuantizationReport.Sections(result, inBytes, outBytes, maxLayers: 12)) ConsoleOutput.Write(s);
                Console.Out.WriteLine($"wrote {outPath}");
            }
            JsonOutput.Write(target, new
            {
                model = input,
                output = outPath,
                mode = result.Mode,
                size_bytes = outBytes,
                input_size_bytes = inBytes,
                quantized = result.QuantizedByOp,
                left_in_float = result.LeftInFloat.Select(l => new { op = l.OpType, reason = l.Reason, count = l.Count }),
                integer_kernels = result.Fusion?.IntegerKernels,
                unfused = result.Fusion?.Unfused,
                calibration = result.Calibration,
                calibration_seconds = result.CalibrationSeconds,
                rewrite_seconds = result.RewriteSeconds,
                layers = result.Layers,
                output_fidelity = result.Output,
                suggestions = result.Suggestions,
            });
            if (parse.GetValue(report) is string reportPath)
            {
                JsonOutput.WriteText(reportPath, QuantizationReport.ToMarkdown(result, input, outPath, inBytes, outBytes));
                ConsoleOutput.Note($"report written to {reportPath}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    // The quantized model takes the same inputs, so it keeps the preprocessing sidecar: `shrink eval OUT` then just works.
    private static void CopySidecar(string input, string output)
    {
        string from = Preprocessing.SidecarPath(input), to = Preprocessing.SidecarPath(output);
        if (File.Exists(from) && Path.GetFullPath(from) != Path.GetFullPath(to))
            JsonOutput.WriteText(to, File.ReadAllText(from));
    }

    private static HashSet<string> List(string? text) =>
        new((text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);

    private static int Positive(int value, string option) => value > 0 ? value : throw new UsageException($"{option} must be positive.");
}
