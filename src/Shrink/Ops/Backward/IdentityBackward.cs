namespace Shrink.Ops;

/// <summary>Identity (and Dropout in inference, which is the identity on its first output): g.</summary>
public sealed class IdentityBackward : UnaryBackward
{
    /// <inheritdoc />
    protected override string InputGradient(GraphEmitter e, string g, string x, string y) => g;
}
