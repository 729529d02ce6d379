namespace Shrink.Data.Text;

/// <summary>How a text file becomes samples (<c>--text-mode</c>).</summary>
public enum TextPacking
{
    /// <summary>Documents are concatenated (each closed by the tokenizer's end-of-document id) and cut into windows of the sequence length: no padding (the default; what an LM needs).</summary>
    Pack,

    /// <summary>One document per sample, truncated or padded with the padding id to the sequence length; the attention mask is 0 on the pads.</summary>
    Pad,
}
