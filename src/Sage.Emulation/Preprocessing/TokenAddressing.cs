namespace Sage.Emulation.Preprocessing;

/// <summary>Where token t of head h of batch b starts in a flat HND or NHD tensor of <see cref="HeadDim"/>-wide rows.</summary>
internal readonly record struct TokenAddressing(TensorLayout Layout, int Heads, int Tokens, int HeadDim)
{
    public long Offset(int batch, int head, int token) => Layout == TensorLayout.HND
        ? (((long)batch * Heads + head) * Tokens + token) * HeadDim
        : (((long)batch * Tokens + token) * Heads + head) * HeadDim;
}
