"""Tiny transformer-style models exported by torch.onnx, for checking channel/head pruning on real exporter graphs.

Regenerate (torch 1.13, onnx): cd tests/Shrink.Tests/Fixtures/Exports && /usr/bin/python3 export_attention.py
Every model has fixed seeds and random weights; the .onnx files are committed and read by the tests (no torch at test time).
"""
import os

import torch
import torch.nn as nn

D, HEADS, TOKENS = 16, 4, 6
HERE = os.path.dirname(os.path.abspath(__file__))


class MhaBlock(nn.Module):
    """Pre-norm transformer block around torch.nn.MultiheadAttention (batch_first)."""

    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, HEADS, batch_first=True)
        self.norm2 = nn.LayerNorm(D)
        self.fc1 = nn.Linear(D, 2 * D)
        self.fc2 = nn.Linear(2 * D, D)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.fc2(torch.relu(self.fc1(self.norm2(x))))


class TimmAttention(nn.Module):
    """timm's ViT attention: fused qkv, reshape into [B, N, 3, H, dh], permute, unbind (or index)."""

    def __init__(self, unbind=True):
        super().__init__()
        self.heads = HEADS
        self.scale = (D // HEADS) ** -0.5
        self.unbind = unbind
        self.norm = nn.LayerNorm(D)
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)

    def forward(self, x):
        B, N, C = x.shape
        h = self.norm(x)
        qkv = self.qkv(h).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        if self.unbind:
            q, k, v = qkv.unbind(0)
        else:
            q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        y = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return x + self.proj(y)


class BertAttention(nn.Module):
    """Hugging Face BertSelfAttention + BertSelfOutput, with an additive mask [B, 1, 1, T]."""

    def __init__(self):
        super().__init__()
        self.heads = HEADS
        self.dh = D // HEADS
        self.query = nn.Linear(D, D)
        self.key = nn.Linear(D, D)
        self.value = nn.Linear(D, D)
        self.dense = nn.Linear(D, D)
        self.norm = nn.LayerNorm(D)

    def split(self, x):
        x = x.view(x.size()[:-1] + (self.heads, self.dh))
        return x.permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q = self.split(self.query(x))
        k = self.split(self.key(x))
        v = self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / (self.dh ** 0.5)
        scores = scores + mask
        probs = nn.functional.softmax(scores, dim=-1)
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        B, T = x.shape[0], x.shape[1]
        context = context.view(B, T, D)
        return self.norm(self.dense(context) + x)


class BartAttention(nn.Module):
    """Hugging Face BartAttention (also CLIP, Whisper): q scaled, heads merged into the batch axis (bsz * H, T, dh) for bmm;
    with fold=False the heads stay 4-D [B, H, T, dh] (the newer eager and SDPA paths)."""

    def __init__(self, fold=True):
        super().__init__()
        self.fold = fold
        self.heads = HEADS
        self.dh = D // HEADS
        self.scaling = self.dh ** -0.5
        self.q_proj = nn.Linear(D, D)
        self.k_proj = nn.Linear(D, D)
        self.v_proj = nn.Linear(D, D)
        self.out_proj = nn.Linear(D, D)

    def shape(self, x, T, B):
        return x.view(B, T, self.heads, self.dh).transpose(1, 2).contiguous()

    def forward(self, x):
        B, T, _ = x.size()
        q = self.q_proj(x) * self.scaling
        k = self.shape(self.k_proj(x), -1, B)
        v = self.shape(self.v_proj(x), -1, B)
        q = self.shape(q, T, B)
        if self.fold:
            proj_shape = (B * self.heads, -1, self.dh)
            q, k, v = q.view(*proj_shape), k.reshape(*proj_shape), v.reshape(*proj_shape)
            w = torch.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1)
            out = torch.bmm(w, v).view(B, self.heads, T, self.dh)
        else:
            out = torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-1, -2)), dim=-1), v)
        out = out.transpose(1, 2).reshape(B, T, D)
        return x + self.out_proj(out)


class NanoGptAttention(nn.Module):
    """nanoGPT's CausalSelfAttention (eager path): fused c_attn split(D, dim=2), view + transpose, causal masked_fill."""

    def __init__(self):
        super().__init__()
        self.heads = HEADS
        self.c_attn = nn.Linear(D, 3 * D)
        self.c_proj = nn.Linear(D, D)
        self.register_buffer("bias", torch.tril(torch.ones(8, 8)).view(1, 1, 8, 8))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / (k.size(-1) ** 0.5))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        y = torch.softmax(att, dim=-1) @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return x + self.c_proj(y)


class PackedCausalAttention(nn.Module):
    """A GPT block's attention as a char-level GPT writes it: packed qkv reshaped to [B, T, 3, H, C // H] and permuted,
    the score scale computed from x.shape ((C // H) ** -0.5: Shape, Gather, Div, Cast, Pow in the export) and a causal
    mask applied by masked_fill(-inf) from a boolean buffer sliced to the sequence length."""

    def __init__(self):
        super().__init__()
        self.heads = HEADS
        self.norm = nn.LayerNorm(D)
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)
        self.register_buffer("mask", torch.tril(torch.ones(16, 16, dtype=torch.bool)), persistent=False)

    def forward(self, x):
        h = self.norm(x)
        B, T, C = h.shape
        hd = C // self.heads
        q, k, v = self.qkv(h).reshape(B, T, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        a = (q @ k.transpose(-2, -1)) * (hd ** -0.5)
        a = a.masked_fill(~self.mask[:T, :T], float("-inf"))
        y = (a.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        return x + self.proj(y)


class Conv1D(nn.Module):
    """Hugging Face's GPT-2 Conv1D: addmm over the flattened tokens, weight [in, out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.weight.size(-1),)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Gpt2Attention(nn.Module):
    """Hugging Face GPT2Attention: fused c_attn (Conv1D), split(D, dim=2), causal torch.where with a sliced buffer."""

    def __init__(self):
        super().__init__()
        self.heads = HEADS
        self.dh = D // HEADS
        self.c_attn = Conv1D(3 * D, D)
        self.c_proj = Conv1D(D, D)
        self.register_buffer("causal", torch.tril(torch.ones(8, 8, dtype=torch.bool)).view(1, 1, 8, 8))

    def split_heads(self, x):
        return x.view(x.size()[:-1] + (self.heads, self.dh)).permute(0, 2, 1, 3)

    def forward(self, x):
        q, k, v = self.c_attn(x).split(D, dim=2)
        q, k, v = self.split_heads(q), self.split_heads(k), self.split_heads(v)
        w = torch.matmul(q, k.transpose(-1, -2)) / (self.dh ** 0.5)
        T = q.size(-2)
        w = torch.where(self.causal[:, :, :T, :T], w, torch.tensor(-10000.0))
        out = torch.matmul(torch.softmax(w, dim=-1), v).permute(0, 2, 1, 3).contiguous()
        out = out.view(out.size()[:-2] + (D,))
        return x + self.c_proj(out)


class FlattenMlp(nn.Module):
    """An MLP over a flattened [B, 4, 4] input (x.view(B, -1)), hidden layer only."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc1 = nn.Linear(4 * 4 * 4, 24)
        self.fc2 = nn.Linear(24, 10)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        h = h.view(h.size(0), -1)
        return self.fc2(torch.relu(self.fc1(h)))


def randomize(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return model.eval()


def export(model, args, name, input_names, dynamic_axes, opset):
    path = os.path.join(HERE, name)
    torch.onnx.export(model, args, path, input_names=input_names, output_names=["y"], dynamic_axes=dynamic_axes,
                      opset_version=opset, do_constant_folding=True)
    print(f"{name}: {os.path.getsize(path)} bytes")


def main():
    torch.manual_seed(0)
    x = torch.randn(2, TOKENS, D)
    batch = {"x": {0: "batch"}, "y": {0: "batch"}}
    batch_seq = {"x": {0: "batch", 1: "tokens"}, "y": {0: "batch", 1: "tokens"}}
    for opset in (13, 17):
        export(randomize(MhaBlock(), 1), (x,), f"mha_block_opset{opset}.onnx", ["x"], batch, opset)
    export(randomize(TimmAttention(unbind=True), 2), (x,), "timm_unbind.onnx", ["x"], batch, 17)
    export(randomize(TimmAttention(unbind=True), 2), (x,), "timm_unbind_dynseq.onnx", ["x"], batch_seq, 17)
    export(randomize(TimmAttention(unbind=False), 2), (x,), "timm_index_dynseq.onnx", ["x"], batch_seq, 13)
    export(randomize(BartAttention(), 5), (x,), "bart_attention.onnx", ["x"], batch_seq, 13)
    export(randomize(BartAttention(fold=False), 5), (x,), "bart_attention_4d.onnx", ["x"], batch_seq, 13)
    export(randomize(Gpt2Attention(), 6), (x,), "gpt2_attention.onnx", ["x"], batch_seq, 13)
    export(randomize(NanoGptAttention(), 7), (x,), "nanogpt_attention.onnx", ["x"], batch_seq, 13)
    export(randomize(PackedCausalAttention(), 8), (x,), "packed_causal_attention.onnx", ["x"], batch_seq, 17)
    mask = torch.zeros(2, 1, 1, TOKENS)
    mask[:, :, :, -2:] = -10000.0
    bert_axes = {"x": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 3: "tokens"}, "y": {0: "batch", 1: "tokens"}}
    export(randomize(BertAttention(), 3), (x, mask), "bert_attention.onnx", ["x", "mask"], bert_axes, 13)
    image = torch.randn(2, 1, 4, 4)
    export(randomize(FlattenMlp(), 4), (image,), "flatten_mlp.onnx", ["x"], batch, 13)


if __name__ == "__main__":
    main()
