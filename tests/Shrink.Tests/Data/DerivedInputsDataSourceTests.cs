using Shrink.Data;
using Shrink.Model;
using static Shrink.Tests.Data.DataFixtures;
using static Shrink.Tests.Data.NamedArrayFixtures;

namespace Shrink.Tests.Data;

public sealed class DerivedInputsDataSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Ids() => Npz(_dir.PathOf("ids.npz"), false, ("input_ids", Npy("<i8", [2, 3], Bytes(new long[] { 5, 6, 7, 1, 2, 3 }))));

    [Fact]
    public void Mask_token_types_and_positions_are_derived_from_input_ids_and_each_said_once()
    {
        ModelInputSpec[] inputs =
        [
            Input("input_ids", ElementType.Int64, null, null), Input("attention_mask", ElementType.Float, null, null),
            Input("token_type_ids", ElementType.Int32, null, null), Input("position_ids", ElementType.Int64, null, null),
        ];
        var notes = new List<string>();

        using var source = DataSourceFactory.Open(Ids(), new DataOptions { Note = notes.Add }, inputs);

        var batch = source.ReadBatches(2).Single();
        Assert.Equal([1f, 1, 1, 1, 1, 1], (float[])batch.Inputs.Single(t => t.Name == "attention_mask").Data);
        Assert.Equal(new int[6], (int[])batch.Inputs.Single(t => t.Name == "token_type_ids").Data);
        Assert.Equal([0L, 1, 2, 0, 1, 2], (long[])batch.Inputs.Single(t => t.Name == "position_ids").Data);
        Assert.All(batch.Inputs, t => Assert.Equal([2L, 3], t.Shape));
        Assert.Equal(3, notes.Count);
        Assert.Single(notes, n => n.Contains("'attention_mask'", StringComparison.Ordinal) && n.Contains("ones", StringComparison.Ordinal));
        Assert.Contains("derived", source.Description);
    }

    [Fact]
    public void A_bool_mask_is_true_everywhere()
    {
        ModelInputSpec[] inputs = [Input("input_ids", ElementType.Int64, null, null), Input("mask", ElementType.Bool, null, null)];

        using var source = DataSourceFactory.Open(Ids(), new DataOptions(), inputs);

        Assert.All((bool[])source.ReadBatches(4).Single().Inputs.Single(t => t.Name == "mask").Data, Assert.True);
    }

    [Fact]
    public void An_input_that_cannot_be_derived_is_named_in_the_error()
    {
        ModelInputSpec[] inputs = [Input("input_ids", ElementType.Int64, null, null), Input("past_key_0", ElementType.Float, null, 4, null, 48)];

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(Ids(), new DataOptions(), inputs));

        Assert.Contains("'past_key_0'", error.Message);
        Assert.Contains("ids.npz", error.Message);
    }

    [Fact]
    public void A_mask_shaped_unlike_the_ids_is_not_derived()
    {
        ModelInputSpec[] inputs = [Input("input_ids", ElementType.Int64, null, null), Input("attention_mask", ElementType.Int64, null, 1, 1, null)];

        var error = Assert.Throws<ShrinkException>(() => DataSourceFactory.Open(Ids(), new DataOptions(), inputs));

        Assert.Contains("'attention_mask'", error.Message);
    }

    [Fact]
    public void A_token_npy_for_a_model_with_a_mask_feeds_input_ids_without_naming_it()
    {
        string path = Write(_dir.PathOf("ids.npy"), Npy("<i8", [2, 3], Bytes(new long[] { 5, 6, 7, 1, 2, 3 })));
        ModelInputSpec[] inputs = [Input("input_ids", ElementType.Int64, null, null), Input("attention_mask", ElementType.Int64, null, null)];

        using var source = DataSourceFactory.Open(path, new DataOptions(), inputs);

        var batch = source.ReadBatches(2).Single();
        Assert.Equal([5L, 6, 7, 1, 2, 3], (long[])batch.Inputs.Single(t => t.Name == "input_ids").Data);
        Assert.Equal([1L, 1, 1, 1, 1, 1], (long[])batch.Inputs.Single(t => t.Name == "attention_mask").Data);
    }
}
