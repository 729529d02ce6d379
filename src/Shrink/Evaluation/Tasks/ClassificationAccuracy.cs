namespace Shrink.Evaluation.Tasks;

/// <summary>Accumulates top-1 and top-5 accuracy of logits against integer labels, batch by batch.</summary>
public sealed class ClassificationAccuracy
{
    private long _top1, _top5, _count;

    /// <summary>Samples seen.</summary>
    public long Count => _count;

    /// <summary>Top-1 accuracy so far (0 when nothing was seen).</summary>
    public double Top1 => _count == 0 ? 0 : (double)_top1 / _count;

    /// <summary>Top-5 accuracy so far; null when there are fewer than 5 classes.</summary>
    public double? Top5 { get; private set; }

    /// <summary>Adds a batch: <paramref name="logits"/> holds <paramref name="labels"/>.Length rows of <paramref name="classes"/> scores.</summary>
    public void Add(ReadOnlySpan<float> logits, int classes, ReadOnlySpan<int> labels)
    {
        if (logits.Length != labels.Length * classes)
            throw new ArgumentException($"{logits.Length} scores do not make {labels.Length} rows of {classes} classes.");
        for (int r = 0; r < labels.Length; r++)
        {
            var row = logits.Slice(r * classes, classes);
            int label = labels[r];
            if (label < 0 || label >= classes)
                throw new ShrinkException($"Label {label} of sample {_count + r} is outside the model's {classes} classes.");
            float target = row[label];
            // Rank = how many classes score strictly higher (ties count in the label's favour, as argmax picks the first).
            int higher = 0;
            for (int c = 0; c < classes; c++)
                if (row[c] > target || (row[c] == target && c < label)) higher++;
            if (higher == 0) _top1++;
            if (higher < 5) _top5++;
        }
        _count += labels.Length;
        Top5 = classes >= 5 ? (double)_top5 / _count : null;
    }
}
