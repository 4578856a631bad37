namespace Sage.Property.Tests.Reference;

/// <summary>Small tensor helpers for the reference tests: building, relayouting and repeating heads.</summary>
internal static class Tensors
{
    public static HostTensor F32(int[] shape, params float[] values) => HostTensor.FromSingle(values, shape);

    /// <summary>[B, H, N, d] ↔ [B, N, H, d]: the same transposition maps HND to NHD and back (with H and N swapped).</summary>
    public static float[] SwapHeadsAndTokens(ReadOnlySpan<float> source, int batch, int first, int second, int headDim)
    {
        var result = new float[source.Length];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < first; i++)
                for (int j = 0; j < second; j++)
                    source.Slice(((b * first + i) * second + j) * headDim, headDim)
                        .CopyTo(result.AsSpan(((b * second + j) * first + i) * headDim, headDim));
        return result;
    }

    public static double[] SwapHeadsAndTokens(ReadOnlySpan<double> source, int batch, int first, int second, int headDim)
    {
        var result = new double[source.Length];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < first; i++)
                for (int j = 0; j < second; j++)
                    source.Slice(((b * first + i) * second + j) * headDim, headDim)
                        .CopyTo(result.AsSpan(((b * second + j) * first + i) * headDim, headDim));
        return result;
    }

    /// <summary>HND K or V with each head repeated <paramref name="group"/> times (what GQA means).</summary>
    public static float[] RepeatHeads(ReadOnlySpan<float> source, int batch, int heads, int tokens, int headDim, int group)
    {
        int headSize = tokens * headDim;
        var result = new float[source.Length * group];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int g = 0; g < group; g++)
                    source.Slice((b * heads + h) * headSize, headSize)
                        .CopyTo(result.AsSpan(((b * heads + h) * group + g) * headSize, headSize));
        return result;
    }

    /// <summary>Maps an arbitrary generated integer onto 1..max (or 0..max when <paramref name="allowZero"/>).</summary>
    public static int Size(int raw, int max, bool allowZero = false) =>
        allowZero ? (int)((uint)raw % (uint)(max + 1)) : 1 + (int)((uint)raw % (uint)max);
}
