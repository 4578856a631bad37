using Sage.Reference;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// V of a two-head problem with the non-finite cases of V's one-pass statistics planted: a NaN, +∞, −∞, channel 5 of
/// head 0 all NaN in tile 1 (its tile gives +∞ to the maximum, as finish_channel's sentinels do), channel 9 of head 1 all
/// NaN, and a huge magnitude. Shared by the classes that compare V schedules (OnePassValuesTests, RingCodesTests).
/// </summary>
internal static class NonFiniteValues
{
    public static AttentionInputs Plant(AttentionProblem problem, AttentionInputs inputs, ElementType inputType)
    {
        var s = problem.Shape;
        if (s.KeyValueHeads < 2 || s.KeyLength < 700 || s.HeadDim <= 20)
            throw new ArgumentException($"{s}: expected at least 2 key/value heads, 700 keys and 21 channels.", nameof(problem));
        float[] values = inputs.V.ToSingleArray();
        int Index(int h, int t, int c) => problem.Layout == TensorLayout.HND
            ? (h * s.KeyLength + t) * s.HeadDim + c
            : (t * s.KeyValueHeads + h) * s.HeadDim + c;
        values[Index(0, 3, 1)] = float.NaN;
        values[Index(0, 300, 2)] = float.PositiveInfinity;
        values[Index(1, 650, 3)] = float.NegativeInfinity;
        for (int t = 128; t < 256; t++) values[Index(0, t, 5)] = float.NaN; // channel 5 of head 0: tile 1 all NaN
        for (int t = 0; t < s.KeyLength; t++) values[Index(1, t, 9)] = float.NaN; // channel 9 of head 1: all NaN
        values[Index(1, 10, 20)] = 60000f;                                   // a huge magnitude
        return inputs with { V = HostTensor.Create(inputType, values, [.. inputs.V.Shape]) };
    }
}
