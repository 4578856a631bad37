using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// `sage kernels` reads cuobjdump's text (SassText): functions split at their headers, opcodes counted by base
/// mnemonic with guard predicates skipped, encoding-only lines ignored, resource usage matched by name.
/// </summary>
public sealed class SassTextTests
{
    private const string Sass = """

        	code for sm_90a
        		Function : solo_d128_f16x2_share
        	.headerflags	@"EF_CUDA_TEXMODE_UNIFIED EF_CUDA_64BIT_ADDRESS EF_CUDA_SM90 EF_CUDA_VIRTUAL_SM(EF_CUDA_SM90)"
                /*0000*/                   LDC R1, c[0x0][0x28] ;                                  /* 0x00000a00ff017b82 */
                                                                                                   /* 0x000fe40000000800 */
                /*0010*/                   S2R R0, SR_TID.X ;                                      /* 0x0000000000007919 */
                /*0020*/                   R2UR UR4, R2 ;                                          /* 0x00000000020472ca */
                /*0030*/              @!P0 BRA `(.L_x_3) ;                                         /* 0x0000000000008947 */
                /*0040*/                   HGMMA.64x136x32.F32.E4M3.E4M3 R24, gdesc[UR4], R24 ;    /* 0x00e00000041879f3 */
                /*0050*/                   IGMMA.64x128x32.S8.S8 R88, gdesc[UR8], RZ, !UPT ;       /* 0x00e00000085879f3 */
                /*0060*/                   MUFU.EX2 R5, R4 ;                                       /* 0x0000000400057308 */
                /*0070*/               @P1 MUFU.EX2 R6, R7 ;                                       /* 0x0000000700061308 */
                /*0080*/                   STL [R1+0x4], R9 ;                                      /* 0x0000040901007387 */
                /*0090*/                   LDL R9, [R1+0x4] ;                                      /* 0x0000040001097983 */
                /*00a0*/              @!PT NOP ;                                                   /* 0x0000000000000918 */
                /*00b0*/                   EXIT ;                                                  /* 0x000000000000794d */
                ..........

        		Function : preprocess_finish
        	.headerflags	@"EF_CUDA_TEXMODE_UNIFIED"
                /*0000*/                   LDC R1, c[0x0][0x28] ;                                  /* 0x00000a00ff017b82 */
                /*0010*/                   EXIT ;                                                  /* 0x000000000000794d */
        """;

    private const string Usage = """
        Resource usage:
         Common:
          GLOBAL:0
         Function preprocess_finish:
          REG:16 STACK:0 SHARED:0 LOCAL:0 CONSTANT[0]:420 TEXTURE:0 SURFACE:0 SAMPLER:0
         Function solo_d128_f16x2_share:
          REG:168 STACK:56 SHARED:0 LOCAL:8 CONSTANT[0]:1192 TEXTURE:0 SURFACE:0 SAMPLER:0
        """;

    [Fact]
    public void Functions_are_split_at_their_headers_and_counted_by_base_opcode()
    {
        var kernels = SassText.Summarise(Sass, Usage);
        Assert.Equal(["solo_d128_f16x2_share", "preprocess_finish"], kernels.Select(k => k.Name));
        var share = kernels[0];
        Assert.Equal(12, share.Instructions);
        Assert.Equal(1, share.R2ur);
        Assert.Equal(2, share.Wgmma); // HGMMA and IGMMA
        Assert.Equal(2, share.Mufu); // guarded or not
        Assert.Equal(2, share.LocalAccesses);
        Assert.Equal(1, share.Count("BRA"));
        Assert.Equal(1, share.Count("NOP"));
        Assert.Equal(0, share.Count("HMMA"));
        Assert.Equal(2, kernels[1].Instructions);
    }

    [Fact]
    public void Registers_stack_and_local_memory_come_from_the_resource_usage_by_name()
    {
        var kernels = SassText.Summarise(Sass, Usage);
        Assert.Equal((168, 56, 8, 64), (kernels[0].Registers, kernels[0].StackBytes, kernels[0].LocalBytes, kernels[0].LocalMemoryBytes));
        var one = SassText.Summarise(SassText.Functions(Sass)[0], SassText.ResourceUsage(Usage)); // what `sage kernels` calls per function
        Assert.Equal((kernels[0].Name, kernels[0].Instructions, kernels[0].Registers, kernels[0].LocalMemoryBytes),
            (one.Name, one.Instructions, one.Registers, one.LocalMemoryBytes));
        Assert.Equal((16, 0, 0, 0), (kernels[1].Registers, kernels[1].StackBytes, kernels[1].LocalBytes, kernels[1].LocalMemoryBytes));
    }

    [Fact]
    public void Without_resource_usage_registers_are_unknown()
    {
        var kernel = Assert.Single(SassText.Summarise(Sass.Split("Function : preprocess_finish")[0]));
        Assert.Null(kernel.Registers);
        Assert.Null(kernel.LocalMemoryBytes);
    }

    [Fact]
    public void Text_without_functions_gives_none() => Assert.Empty(SassText.Summarise("code for sm_90a\n"));

    // cuobjdump's own form: branch targets as addresses. A loop 0x0010..0x0060 (backward BRA, 6 instructions) with a
    // forward branch inside, and a second loop closed by a uniform BRA.U.ANY onto its own address.
    private const string Looped = """
        		Function : looped
                /*0000*/                   LDC R1, c[0x0][0x28] ;                                  /* 0x00000a00ff017b82 */
                /*0010*/                   IADD3 R2, R2, 0x1, RZ ;                                 /* 0x0000000102027810 */
                /*0020*/               @P0 BRA 0x50 ;                                              /* 0x0000000000000947 */
                                                                                                   /* 0x000fe40000000800 */
                /*0030*/                   MUFU.EX2 R5, R4 ;                                       /* 0x0000000400057308 */
                /*0040*/                   FFMA R5, R5, R5, R5 ;                                   /* 0x0000000505057223 */
                /*0050*/                   ISETP.GE.AND P1, PT, R2, 0x10, PT ;                     /* 0x000000100200780c */
                /*0060*/              @!P1 BRA 0x10 ;                                              /* 0x0000000000009947 */
                /*0070*/                   SYNCS.PHASECHK.TRANS64.TRYWAIT P0, [UR4], R3 ;          /* 0x00000003ff0075a7 */
                /*0080*/               @P0 BRA.U.ANY 0x70 ;                                        /* 0x0000000000000947 */
                /*0090*/                   EXIT ;                                                  /* 0x000000000000794d */
        		Function : straight
                /*0000*/                   EXIT ;                                                  /* 0x000000000000794d */
        """;

    [Fact]
    public void Backward_branches_close_loops_counted_over_their_whole_body()
    {
        var functions = SassText.Functions(Looped);
        Assert.Equal(["looped", "straight"], functions.Select(f => f.Name));
        Assert.StartsWith("\t\tFunction : looped", functions[0].Text);
        Assert.DoesNotContain("straight", functions[0].Text);
        Assert.Equal([new SassLoop(0x10, 0x60, 6), new SassLoop(0x70, 0x80, 2)], SassText.Loops(functions[0].Text));
        Assert.Empty(SassText.Loops(functions[1].Text));
        var kernels = SassText.Summarise(Looped);
        Assert.Equal((10, 6, 0), (kernels[0].Instructions, kernels[0].LargestLoop, kernels[1].LargestLoop));
    }

    [Fact]
    public void Branches_to_labels_are_not_loops() =>
        Assert.Equal(0, SassText.Summarise(Sass)[0].LargestLoop); // "@!P0 BRA `(.L_x_3)": nvdisasm's form, unresolved
}
