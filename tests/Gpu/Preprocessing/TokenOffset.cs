namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>Where token t of head h in batch b starts in a host tensor of either layout (HND: [B, H, N, d]; NHD: [B, N, H, d]).</summary>
internal static class TokenOffset
{
    public static long Of(TensorLayout layout, int heads, int tokens, int d, int b, int h, int t) => layout == TensorLayout.HND
        ? (((long)b * heads + h) * tokens + t) * d
        : (((long)b * tokens + t) * heads + h) * d;
}
