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

    [Property]
    public bool By_value_block_keeps_its_words_and_size(ulong first, ulong last)
    {
        var words = new ulong[16];
        words[0] = first;
        words[15] = last;
        var a = KernelArgument.ByValue(words, "CUtensorMap");
        words[0] = ~first; // copied: later changes to the caller's array do not reach the argument
        return a.SizeInBytes == 128 && a.Words is { Length: 16 } w && w[0] == first && w[15] == last && a.Bits == 0;
    }

    [Fact]
    public void By_value_blocks_compare_by_content()
    {
        var a = KernelArgument.ByValue(new ulong[] { 1, 2 }, "S");
        Assert.Equal(a, KernelArgument.ByValue(new ulong[] { 1, 2 }, "S"));
        Assert.NotEqual(a, KernelArgument.ByValue(new ulong[] { 1, 3 }, "S"));
        Assert.NotEqual(a, (KernelArgument)0L);
        Assert.Equal("S (16 bytes)", a.ToString());
    }

    [Fact]
    public void By_value_block_needs_a_word()
    {
        var e = Assert.Throws<ArgumentException>(() => KernelArgument.ByValue(ReadOnlySpan<ulong>.Empty, "S"));
        Assert.Equal("words", e.ParamName);
    }
}
