using FsCheck.Xunit;
using Sage.Numerics;

namespace Sage.Property.Tests.Numerics;

public class BFloat16Tests
{
    [Property]
    public bool RoundTripsEveryNonNaNPattern(ushort bits) =>
        BFloat16.FromBits(bits).IsNaN || BFloat16.FromSingle(BFloat16.FromBits(bits).ToSingle()).Bits == bits;

    [Property]
    public bool NaNBecomesCanonical(ushort bits) =>
        !BFloat16.FromBits(bits).IsNaN || BFloat16.FromSingle(BFloat16.FromBits(bits).ToSingle()).Bits == Ptx.CanonicalNaN16;
}
