using Shrink.Model;
using Shrink.Runtime;
using Shrink.Tests.Data;

namespace Shrink.Tests.Runtime;

public sealed class ModelInputsTests
{
    [Fact]
    public void Token_ids_know_the_size_of_the_table_they_index()
    {
        var model = OnnxModel.FromProto(InputModels.Embeddings());

        var inputs = ModelInputs.Of(model);
        Assert.Equal(7, inputs.Single(i => i.Name == "input_ids").IndexLimit);
        // Through a Cast to int32 too.
        Assert.Equal(2, inputs.Single(i => i.Name == "token_type_ids").IndexLimit);
        using var session = ModelSession.Open(model);
        Assert.Equal([7L, 2L], session.Inputs.Select(i => i.IndexLimit));
    }

    [Fact]
    public void A_declared_scalar_is_told_from_an_undeclared_shape()
    {
        var model = OnnxModel.FromProto(InputModels.ScalarInput());

        var rate = ModelInputs.Of(model).Single(i => i.Name == "sample_rate");
        Assert.True(rate.IsScalar);
        Assert.Equal(-1, rate.BatchAxis);
        using var session = ModelSession.Open(model);
        Assert.True(session.Inputs.Single(i => i.Name == "sample_rate").IsScalar);
        Assert.False(session.Inputs.Single(i => i.Name == "x").IsScalar);
    }

    [Fact]
    public void A_recurrent_state_has_its_batch_on_axis_1()
    {
        using var session = ModelSession.Open(OnnxModel.FromProto(InputModels.RecurrentState()));

        Assert.Equal([0, 1], session.Inputs.Select(i => i.BatchAxis));
    }
}
