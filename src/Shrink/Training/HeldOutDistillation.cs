using System.Numerics.Tensors;
using Shrink.Data;
using Shrink.Model;
using Shrink.Runtime;

namespace Shrink.Training;

/// <summary>
/// The distillation loss on held-out data: mean over positions of KL(softmax(teacher/T) ‖ softmax(student/T)) × T² on the
/// first outputs (the last axis holds the classes or the vocabulary). The per-epoch metric of a run without labels.
/// </summary>
public static class HeldOutDistillation
{
    /// <summary>
    /// Measures the student against the teacher on <paramref name="data"/> (the first <paramref name="limit"/> samples
    /// when given). With a <paramref name="teacherOutputs"/> cache that a previous call completed, the teacher is not run
    /// (nor its session opened): its outputs are read from the cache.
    /// </summary>
    public static double Measure(OnnxModel student, OnnxModel teacher, IDataSource data, double temperature = 1, int batchSize = 64, int threads = 1, long? limit = null,
        TeacherOutputCache? teacherOutputs = null)
    {
        ArgumentNullException.ThrowIfNull(student);
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(data);
        var runtime = new RuntimeOptions { IntraOpThreads = threads };
        using var s = ModelSession.Open(student, runtime);
        using var t = teacherOutputs is { Complete: true } ? null : ModelSession.Open(teacher, runtime);
        var source = FixedBatchDataSource.ForModel(data, s.Inputs);
        double sum = 0;
        long positions = 0;
        float[] ps = [], pt = [], ls = [];
        int index = 0;
        foreach (var batch in source.ReadBatches(batchSize, limit))
        {
            var a = s.Run(batch)[0];
            if (teacherOutputs is null || !teacherOutputs.TryGet(index, out float[] teacherData))
            {
                teacherData = (t ?? throw new ShrinkException($"{student.Name}: the held-out data gave more batches than the cached teacher outputs hold.")).Run(batch)[0].Data;
                teacherOutputs?.Add(teacherData);
            }
            index++;
            if (a.Data.Length != teacherData.Length || a.Shape.Length == 0)
                throw new ShrinkException($"{student.Name}: its output [{string.Join(",", a.Shape)}] does not match the teacher's ({teacherData.Length} values).");
            var b = teacherData;
            int classes = (int)a.Shape[^1];
            if (ps.Length < classes) { ps = new float[classes]; pt = new float[classes]; ls = new float[classes]; }
            for (int off = 0; off + classes <= a.Data.Length; off += classes)
            {
                var za = a.Data.AsSpan(off, classes);
                var zb = b.AsSpan(off, classes);
                TensorPrimitives.Divide(za, (float)temperature, ls.AsSpan(0, classes));
                TensorPrimitives.SoftMax(ls.AsSpan(0, classes), ps.AsSpan(0, classes));
                TensorPrimitives.Divide(zb, (float)temperature, ls.AsSpan(0, classes));
                TensorPrimitives.SoftMax(ls.AsSpan(0, classes), pt.AsSpan(0, classes));
                double kl = 0;
                for (int c = 0; c < classes; c++)
                    if (pt[c] > 0) kl += pt[c] * (Math.Log(pt[c]) - Math.Log(Math.Max(ps[c], 1e-30f)));
                sum += kl;
                positions++;
            }
        }
        teacherOutputs?.EndPass();
        return positions == 0 ? double.NaN : sum / positions * temperature * temperature;
    }
}
