namespace Shrink.Data;

/// <summary>The argument checks every <see cref="IDataSource.ReadBatches"/> makes, in one place.</summary>
internal static class BatchRequest
{
    /// <summary>
    /// Checks a batch size (positive) and a sample limit (null or not negative) and returns how many samples to read:
    /// the limit, at most <paramref name="available"/>.
    /// </summary>
    public static long Total(int batchSize, long? limit, long available = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (limit < 0)
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "The limit must not be negative.");
        return Math.Min(limit ?? long.MaxValue, available);
    }
}
