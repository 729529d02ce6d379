namespace Shrink.Data;

/// <summary>How <see cref="DataSourceFactory"/> opens a data set.</summary>
public sealed record DataOptions
{
    /// <summary>Preprocessing applied to file data (and which input it feeds).</summary>
    public Preprocessing Preprocessing { get; init; } = new();

    /// <summary>Labels file (IDX uint8 or 1-D integer .npy); null to look for one beside an IDX file.</summary>
    public string? LabelsPath { get; init; }

    /// <summary>Full shapes for random data, keyed by input name (from <c>--input-shape name=1,3,48,320</c>); the first dim is the batch axis and is ignored.</summary>
    public IReadOnlyDictionary<string, long[]> ShapeOverrides { get; init; } = new Dictionary<string, long[]>();

    /// <summary>Seed for random data.</summary>
    public int Seed { get; init; }

    /// <summary>Value ranges for random data, keyed by input name (from <c>--input-range name=lo,hi</c>).</summary>
    public IReadOnlyDictionary<string, ValueRange> ValueRanges { get; init; } = new Dictionary<string, ValueRange>();

    /// <summary>Batch axes by input name (from <c>--batch-axis name=1</c>), where the inferred one is wrong.</summary>
    public IReadOnlyDictionary<string, int> BatchAxes { get; init; } = new Dictionary<string, int>();

    /// <summary>
    /// The reader of a data file that needs settings of its own, e.g. <c>Text.TextDataOptions</c> (<c>--tokenizer</c>):
    /// non-null means the data path is read by it. <see cref="IDataFileReader.ForNextTokenWindows"/> (or <c>Text.TextDataOptionsExtensions.WithExtraToken</c>) asks text data
    /// for windows one token longer (next-token evaluation).
    /// </summary>
    public IDataFileReader? FileReader { get; init; }

    /// <summary>Receives notes on how the data is fed (e.g. one sample per batch for a model whose batch is fixed at 1).</summary>
    public Action<string>? Note { get; init; }

    /// <summary>
    /// Receives warnings about the data (random data: figures measured on it say nothing about accuracy); null to say
    /// nothing (<see cref="IDataSource.IsRandom"/> and the evaluation's <c>RandomData</c> still tell).
    /// </summary>
    public Action<string>? Warning { get; init; }

    /// <summary>
    /// Read the data as next-token windows (<see cref="Data.NextTokenWindows"/>): a window of n tokens feeds window[:n−1],
    /// as a language model is evaluated (<c>--task lm</c>), so calibration sees the inputs evaluation runs.
    /// </summary>
    public bool NextTokenWindows { get; init; }
}
