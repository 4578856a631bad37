using FsCheck.Xunit;
using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

public class KernelArgumentTests
{
    [Property]
    public bool Int_is_four_bytes_of_its_twos_complement(int value)
    {
        KernelArgument a = value;
        return a.SizeInBytes == 4 && a.Bits == (uint)value;
    }

    [Property]
    public bool Long_is_eight_bytes(long value)
    {
        KernelArgument a = value;
        return a.SizeInBytes == 8 && a.Bits == (ulong)value;
    }

    [Property]
    public bool Float_keeps_its_bits(uint bits)
    {
        KernelArgument a = BitConverter.UInt32BitsToSingle(bits);
        return a.SizeInBytes == 4 && a.Bits == bits;
    }

    [Property]
    public bool Double_keeps_its_bits(ulong bits)
    {
        KernelArgument a = BitConverter.UInt64BitsToDouble(bits);
        return a.SizeInBytes == 8 && a.Bits == bits;
    }

    [Fact]
    public void Half_is_two_bytes()
    {
        KernelArgument a = (Half)1.0f;
        Assert.Equal(2, a.SizeInBytes);
        Assert.Equal(0x3C00UL, a.Bits);
    }

    [Fact]
    public void Dim3_covers_a_count()
    {
        Assert.Equal(new Dim3(3907), Dim3.Covering(1_000_003, 256));
        Assert.Equal(new Dim3(1), Dim3.Covering(1, 256));
        Assert.Equal(6UL, new Dim3(1, 2, 3).Volume);
    }
}
