using Shrink.Model;
using Shrink.Ops;
using Shrink.Training.Autodiff;

namespace Shrink.Tests.Training.Autodiff;

/// <summary>A test loss: Σ y·R for a fixed random R of y's shape, so every output element gets its own O(1) gradient.</summary>
internal sealed record WeightedSumLoss(string Tensor, long[] Shape, int Seed) : LossSpec
{
    public override LossGraph Append(OnnxModel model, GraphEmitter emitter)
    {
        int count = (int)Shape.Aggregate(1L, (a, b) => a * b);
        string weights = emitter.Floats(Shape, TestSupport.TinyModels.RandomFloats(count, Seed));
        return new LossGraph(emitter.ReduceSum(emitter.Emit(OpTypes.Mul, [Tensor, weights]), null, keepDims: false), []);
    }
}
