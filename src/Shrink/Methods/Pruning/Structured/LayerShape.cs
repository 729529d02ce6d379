using Shrink.Model;
using Shrink.Ops;
using Shrink.Runtime;

namespace Shrink.Methods.Pruning.Structured;

/// <summary>
/// The linear map of one refittable layer as a matrix product: rows are output positions, columns the inputs each
/// output reads (im2col for a Conv), so that output = columns · W (+ bias). Knows how to read and write the node's weight.
/// </summary>
internal abstract class LayerShape
{
    /// <summary>Columns of the fit without the bias column.</summary>
    public abstract int InputFeatures { get; }

    /// <summary>Output channels (or features) the node writes.</summary>
    public abstract int OutputFeatures { get; }

    /// <summary>Whether the node accepts a bias input.</summary>
    public abstract bool CanHaveBias { get; }

    /// <summary>Rows (output positions) in one batch whose output has shape <paramref name="outputShape"/>.</summary>
    public abstract long RowCount(long[] outputShape);

    /// <summary>
    /// Writes the transposed design matrix (columns × <paramref name="selected"/>) and targets (outputs × selected) of the
    /// batch rows first, first + step, ...; <paramref name="keptOutputs"/> maps output j to the reference channel.
    /// </summary>
    public abstract void Fill(OutputTensor x, OutputTensor y, int[]? keptOutputs, long first, int step, int selected, bool bias, float[] columns, float[] targets);

    /// <summary>The node's weights as a [columns × outputs] matrix (bias row last when <paramref name="withBias"/>).</summary>
    public abstract float[] ReadWeights(float[] weight, float[]? bias, bool withBias);

    /// <summary>The weight tensor's values from a solved [columns × outputs] matrix.</summary>
    public abstract float[] WriteWeights(float[] solved);

    /// <summary>The shape of <paramref name="node"/>, or null when it is not refittable.</summary>
    public static LayerShape? Of(Node node, TensorData weight)
    {
        switch (OpCatalog.FindAnyDomain(node.OpType)?.Layer)
        {
            case LayerKind.Convolution:
                {
                    if (weight.Dims.Count != 4 || node.GetInt("group", 1) != 1) return null;
                    string autoPad = node.GetString("auto_pad", "NOTSET");
                    if (autoPad is not ("NOTSET" or "VALID")) return null;
                    var strides = node.GetInts("strides") ?? [1, 1];
                    var dilations = node.GetInts("dilations") ?? [1, 1];
                    var pads = autoPad == "VALID" ? null : node.GetInts("pads");
                    pads ??= [0, 0, 0, 0];
                    return new ConvLayerShape((int)weight.Dims[0], (int)weight.Dims[1], (int)weight.Dims[2], (int)weight.Dims[3],
                        (int)strides[0], (int)strides[1], (int)dilations[0], (int)dilations[1], (int)pads[0], (int)pads[1]);
                }
            case LayerKind.Gemm:
                {
                    var gemm = GemmSchemas.Gemm;
                    if (weight.Dims.Count != 2 || gemm.ReadsInputTransposed(node.GetInt) || node.GetFloat("alpha", 1f) != 1f || node.GetFloat("beta", 1f) != 1f) return null;
                    int inAxis = gemm.WeightInputAxis!(node.GetInt), outAxis = gemm.WeightOutputAxis!(node.GetInt);
                    return new DenseLayerShape((int)weight.Dims[inAxis], (int)weight.Dims[outAxis], transposed: outAxis == 0, true);
                }
            case LayerKind.MatMul:
                return weight.Dims.Count != 2 ? null : new DenseLayerShape((int)weight.Dims[0], (int)weight.Dims[1], false, false);
            default:
                return null;
        }
    }
}
