using Onnx;
using Shrink.Tests.TestSupport;

namespace Shrink.Tests.Methods.Pruning;

/// <summary>
/// One Mamba block as PyTorch 1.13 exports it (opset 17, the scan unrolled), built in code with d_model 4, d_inner 8,
/// dt_rank 2, d_state 3, conv kernel 2 and 4 tokens: in_proj → <c>chunk(2)</c> (Shape → Gather → Add → Div → Mul → Slice)
/// → depthwise causal Conv → SiLU → x_proj → Split (Δ, B, C) → dt_proj + bias → Softplus; A = −exp(A_log); h₀ =
/// ConstantOfShape(Concat(batch, d_inner, d_state)); h_t = exp(ΔA)_t·h_{t−1} + (ΔBu)_t; y = Σ_n h·C + u·D; y·SiLU(z) → out_proj.
/// <see cref="Block"/> keeps only some inner channels, with every parameter sliced by hand: the reference for pruning.
/// </summary>
internal static class MambaFixtures
{
    public const int Model = 4;
    public const int Inner = 8;
    public const int Rank = 2;
    public const int State = 3;
    public const int Kernel = 2;
    public const int Tokens = 4;

    /// <summary>The inner channels whose producer weights (in_proj's x and z columns, dt_proj's columns) are scaled by 0.01: l1 ranks them last.</summary>
    public static readonly int[] Weak = [1, 4, 6];

    /// <summary>
    /// The block keeping inner channels <paramref name="keep"/> (all when null). <paramref name="silenceWeak"/> zeroes the
    /// weak channels' x_proj and out_proj rows, so that they do not reach the output at all.
    /// </summary>
    public static ModelProto Block(int[]? keep = null, bool silenceWeak = false)
    {
        keep ??= Enumerable.Range(0, Inner).ToArray();
        int e = keep.Length;
        var inProj = TinyModels.RandomFloats(Model * 2 * Inner, 31);
        var conv = TinyModels.RandomFloats(Inner * Kernel, 32);
        var convBias = TinyModels.RandomFloats(Inner, 33);
        var xProj = TinyModels.RandomFloats(Inner * (Rank + 2 * State), 34);
        var dtProj = TinyModels.RandomFloats(Rank * Inner, 35);
        var dtBias = TinyModels.RandomFloats(Inner, 36);
        var aLog = TinyModels.RandomFloats(Inner * State, 37);
        var d = TinyModels.RandomFloats(Inner, 38);
        var outProj = TinyModels.RandomFloats(Inner * Model, 39);
        foreach (int c in Weak)
        {
            for (int r = 0; r < Model; r++)
            {
                inProj[r * 2 * Inner + c] *= 0.01f;
                inProj[r * 2 * Inner + Inner + c] *= 0.01f;
            }
            for (int r = 0; r < Rank; r++) dtProj[r * Inner + c] *= 0.01f;
            if (!silenceWeak) continue;
            Array.Clear(xProj, c * (Rank + 2 * State), Rank + 2 * State);
            Array.Clear(outProj, c * Model, Model);
        }

        var g = new GraphProto { Name = "mamba_block" };
        g.Input.Add(TinyModels.FloatInfo("x", "batch", Tokens, Model));
        g.Output.Add(TinyModels.FloatInfo("y", "batch", Tokens, Model));
        void Float(string name, long[] dims, float[] values) => g.Initializer.Add(TinyModels.FloatTensor(name, dims, values));
        void Int64(string name, params long[] values) =>
            g.Initializer.Add(TinyModels.RawTensor(name, TinyModels.Int64, [values.Length], [.. values.SelectMany(BitConverter.GetBytes)]));
        void Op(string opType, string[] inputs, string output, params AttributeProto[] attributes)
        {
            var node = TinyModels.Node(opType, inputs, [output], output);
            node.Attribute.AddRange(attributes);
            g.Node.Add(node);
        }

        Float("in_proj_w", [Model, 2 * e], Columns(inProj, Model, 2 * Inner, [.. keep, .. keep.Select(c => Inner + c)]));
        Float("conv_w", [e, 1, Kernel], Rows(conv, Kernel, keep));
        Float("conv_b", [e], Rows(convBias, 1, keep));
        Float("x_proj_w", [e, Rank + 2 * State], Rows(xProj, Rank + 2 * State, keep));
        Float("dt_proj_w", [Rank, e], Columns(dtProj, Rank, Inner, keep));
        Float("dt_proj_b", [e], Rows(dtBias, 1, keep));
        Float("A_log", [e, State], Rows(aLog, State, keep));
        Float("D", [e], Rows(d, 1, keep));
        Float("out_proj_w", [e, Model], Rows(outProj, Model, keep));
        Int64("last", -1);
        Int64("zero", 0);
        Int64("one", 1);
        Int64("two", 2);
        Int64("conv_end", Tokens);
        Int64("time_axis", 2);
        Int64("e", e);
        Int64("n", State);
        Int64("state_split", Enumerable.Repeat(1L, Tokens).ToArray());
        Int64("dbc_split", Rank, State, State);

        Op("MatMul", ["x", "in_proj_w"], "xz");
        // x, z = xz.chunk(2, dim=-1)
        Op("Shape", ["xz"], "xz_shape");
        Op("Gather", ["xz_shape", "last"], "xz_width", ChannelFixtures.Int("axis", 0));
        Op("Add", ["xz_width", "one"], "xz_width_up");
        Op("Div", ["xz_width_up", "two"], "chunk");
        Op("Mul", ["chunk", "one"], "chunk_end0");
        Op("Mul", ["chunk", "two"], "chunk_end1");
        Op("Slice", ["xz", "zero", "chunk_end0", "last"], "x_half");
        Op("Slice", ["xz", "chunk_end0", "chunk_end1", "last"], "z_half");
        // u = silu(conv(x.transpose(1, 2))[..., :L].transpose(1, 2))
        Op("Transpose", ["x_half"], "x_t", ChannelFixtures.Ints("perm", 0, 2, 1));
        Op("Conv", ["x_t", "conv_w", "conv_b"], "conv_out", ChannelFixtures.Int("group", e), ChannelFixtures.Ints("kernel_shape", Kernel),
            ChannelFixtures.Ints("pads", Kernel - 1, Kernel - 1));
        Op("Slice", ["conv_out", "zero", "conv_end", "time_axis"], "conv_causal");
        Op("Transpose", ["conv_causal"], "conv_back", ChannelFixtures.Ints("perm", 0, 2, 1));
        Op("Sigmoid", ["conv_back"], "conv_sig");
        Op("Mul", ["conv_back", "conv_sig"], "u");
        // Δ, B, C = x_proj(u).split([R, N, N]); Δ = softplus(dt_proj(Δ)); A = −exp(A_log)
        Op("MatMul", ["u", "x_proj_w"], "dbc");
        var split = TinyModels.Node("Split", ["dbc", "dbc_split"], ["dt_in", "b_in", "c_in"], "dbc_split");
        split.Attribute.Add(ChannelFixtures.Int("axis", -1));
        g.Node.Add(split);
        Op("MatMul", ["dt_in", "dt_proj_w"], "dt_mm");
        Op("Add", ["dt_proj_b", "dt_mm"], "dt_lin");
        Op("Softplus", ["dt_lin"], "delta");
        Op("Exp", ["A_log"], "a_exp");
        Op("Neg", ["a_exp"], "a");
        // exp(Δ·A) [B, L, E, N] and Δ·B·u [B, L, E, N]
        Op("Unsqueeze", ["delta", "last"], "delta_4");
        Op("Mul", ["delta_4", "a"], "delta_a");
        Op("Exp", ["delta_a"], "da");
        Op("Mul", ["delta", "u"], "delta_u");
        Op("Unsqueeze", ["delta_u", "last"], "delta_u_4");
        Op("Unsqueeze", ["b_in", "two"], "b_4");
        Op("Mul", ["delta_u_4", "b_4"], "dbu");
        // h₀ = zeros(B, E, N): the batch read from x, E and N constants
        Op("Shape", ["x"], "x_shape");
        Op("Gather", ["x_shape", "zero"], "batch_1d", ChannelFixtures.Int("axis", 0));
        Op("Concat", ["batch_1d", "e", "n"], "h0_shape", ChannelFixtures.Int("axis", 0));
        Op("ConstantOfShape", ["h0_shape"], "h0");
        // The unrolled scan: Split over time, Squeeze, h = da·h + dbu, Unsqueeze, Concat over time.
        var daSteps = Enumerable.Range(0, Tokens).Select(t => $"da_{t}").ToArray();
        var dbuSteps = Enumerable.Range(0, Tokens).Select(t => $"dbu_{t}").ToArray();
        foreach (var (value, parts) in new[] { ("da", daSteps), ("dbu", dbuSteps) })
        {
            var s = TinyModels.Node("Split", [value, "state_split"], parts, value + "_split");
            s.Attribute.Add(ChannelFixtures.Int("axis", 1));
            g.Node.Add(s);
        }
        string h = "h0";
        var states = new List<string>();
        for (int t = 0; t < Tokens; t++)
        {
            Op("Squeeze", [daSteps[t], "one"], $"da_sq_{t}");
            Op("Squeeze", [dbuSteps[t], "one"], $"dbu_sq_{t}");
            Op("Mul", [$"da_sq_{t}", h], $"h_decay_{t}");
            Op("Add", [$"h_decay_{t}", $"dbu_sq_{t}"], $"h_{t}");
            h = $"h_{t}";
            Op("Unsqueeze", [h, "one"], $"h_time_{t}");
            states.Add($"h_time_{t}");
        }
        Op("Concat", [.. states], "hs", ChannelFixtures.Int("axis", 1));
        // y = (hs · C).sum(-1) + u·D; y·silu(z) → out_proj
        Op("Unsqueeze", ["c_in", "two"], "c_4");
        Op("Mul", ["hs", "c_4"], "hc");
        Op("ReduceSum", ["hc", "last"], "y_scan", ChannelFixtures.Int("keepdims", 0));
        Op("Mul", ["u", "D"], "u_d");
        Op("Add", ["y_scan", "u_d"], "y_ssm");
        Op("Sigmoid", ["z_half"], "z_sig");
        Op("Mul", ["z_half", "z_sig"], "z_silu");
        Op("Mul", ["y_ssm", "z_silu"], "gated");
        Op("MatMul", ["gated", "out_proj_w"], "y");
        return TinyModels.BuildModel(g, opset: 17);
    }

    /// <summary>Random inputs [batch, Tokens, Model].</summary>
    public static Dictionary<string, TensorProto> Input(int batch, int seed = 41) => new()
    {
        ["x"] = TinyModels.FloatTensor("x", [batch, Tokens, Model], TinyModels.RandomFloats(batch * Tokens * Model, seed)),
    };

    private static float[] Rows(float[] values, int rowLength, int[] rows) =>
        [.. rows.SelectMany(r => values.AsSpan(r * rowLength, rowLength).ToArray())];

    private static float[] Columns(float[] values, int rowCount, int rowLength, int[] columns) =>
        [.. Enumerable.Range(0, rowCount).SelectMany(r => columns.Select(c => values[r * rowLength + c]))];
}
