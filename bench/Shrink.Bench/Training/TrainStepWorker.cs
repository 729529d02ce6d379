using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Shrink.Model;
using Shrink.Training.Autodiff;

namespace Shrink.Bench.Training;

/// <summary>
/// <c>Shrink.Bench trainstep MODEL ONNX BATCHDIR TUNING CONVFORM</c>: our side of the step timing, as a worker process
/// (see <see cref="WorkerProcess"/>): builds the training graph of every parameter, binds the batch, and answers
/// <c>run K</c> with the times of K SGD-momentum steps.
/// </summary>
internal static class TrainStepWorker
{
    public static int Run(string name, string onnx, string batchDir, string tuning, string convForm)
    {
        ConvRule.Use(Enum.Parse<Shrink.Ops.ConvWeightGradient>(convForm));
        var model = OnnxModel.Load(onnx);
        var graph = Gradients.Build(model, TrainingModels.Loss(name), TrainingModels.Parameters(model));
        var batch = RawBatch.Load(batchDir);
        using var step = new OrtTrainingStep(graph, batch, SessionTuning.Decode(tuning));
        Console.WriteLine(JsonSerializer.Serialize(new { ready = true, parameters = graph.Parameters.Count, nodes = graph.Model.Graph.Nodes.Count }));
        bool first = true;
        string? line;
        while ((line = Console.ReadLine()) is not null)
        {
            var cmd = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cmd.Length == 0) continue;
            if (cmd[0] == "run")
            {
                int k = int.Parse(cmd[1], CultureInfo.InvariantCulture);
                var ms = new double[k];
                for (int i = 0; i < k; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    step.Step(first);
                    first = false;
                    ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                Console.WriteLine(JsonSerializer.Serialize(new { ms, loss = step.Loss }));
            }
            else if (cmd[0] == "rss")
            {
                Console.WriteLine(JsonSerializer.Serialize(new { rss_kib = ProcStatus.PeakRssKiB() ?? -1 }));
            }
            else if (cmd[0] == "quit")
            {
                break;
            }
        }
        return 0;
    }
}
