using Shrink.Methods.Quantization.MixedPrecision;
using Shrink.Methods.Quantization.WeightOnly;
using Shrink.Tests.Methods.Quantization.WeightOnly;

namespace Shrink.Tests.Methods.Quantization.MixedPrecision;

public sealed class LayerSizeTableTests
{
    private static readonly HashSet<string> None = [];

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    public void Embedding_tables_count_in_the_fixed_bytes_at_their_quantized_width(int bits)
    {
        var prepared = MixedPrecisionLayers.Prepare(EmbeddingQuantizerTests.Embedding(rows: 256, cols: 256, head: true));
        var plain = LayerSizeTable.Measure(prepared, [4, 8], 32, true, SizeAccounting.Stored, None, None);
        var options = new WeightOnlyOptions { EmbeddingBits = bits, GroupSize = 32 };
        var withEmbeddings = LayerSizeTable.Measure(prepared, [4, 8], 32, true, SizeAccounting.Stored, None, None, embeddings: options);

        // 256×256 floats (262,144 bytes) → codes + one float scale per 32 values.
        long quantized = 256 * 256 * bits / 8 + 256 * 8 * 4;
        Assert.Equal(plain.FixedBytes - (256 * 256 * 4 - quantized), withEmbeddings.FixedBytes);
        Assert.Equal(plain.LayerBytes.Keys, withEmbeddings.LayerBytes.Keys);
        Assert.Equal(plain.FloatModelBytes, withEmbeddings.FloatModelBytes);

        var off = LayerSizeTable.Measure(prepared, [4, 8], 32, true, SizeAccounting.Stored, None, None, embeddings: options with { EmbeddingBits = 0 });
        Assert.Equal(plain.FixedBytes, off.FixedBytes);
    }

    [Fact]
    public void A_table_tied_to_a_head_that_stays_float_counts_in_float()
    {
        var prepared = MixedPrecisionLayers.Prepare(EmbeddingQuantizerTests.TiedEmbedding(rows: 48, cols: 64));
        var plain = LayerSizeTable.Measure(prepared, [4, 8], 32, true, SizeAccounting.Stored, None, None);
        var tied = LayerSizeTable.Measure(prepared, [4, 8], 32, true, SizeAccounting.Stored, None, None, embeddings: new WeightOnlyOptions { EmbeddingBits = 8, GroupSize = 32 });
        Assert.Equal(["proj"], tied.LayerBytes.Keys);
        Assert.Equal(plain.FixedBytes, tied.FixedBytes);
    }
}
