namespace Sage.Emulation.Mainloop;

/// <summary>
/// One query row's inputs to the scores of one K tile (docs/kernel-spec.md §5): the int32 QK sums, the row's q_scale,
/// each key's k_scale, ΔS of the row's Q-smoothing block (empty without Q smoothing) and how many of the tile's keys the
/// row sees. Both <see cref="ScoreDequantization.Dequantize"/> (S) and <see cref="ScoreDequantization.ExponentArguments"/>
/// (the exp2 arguments) read it, so the two stages cannot disagree about their inputs.
/// </summary>
public readonly ref struct ScoreRow
{
    /// <param name="acc">Int32 accumulator of the row for the tile's keys (|acc| &lt; 2^22, which INT8 and INT4 sums always are).</param>
    /// <param name="queryScale">The row's q_scale (LOG2E_SCALE folded in).</param>
    /// <param name="keyScales">k_scale of each of the tile's keys (at least as many as <paramref name="acc"/>).</param>
    /// <param name="deltaS">ΔS of the row's Q-smoothing block for the tile's keys, or empty without Q smoothing.</param>
    /// <param name="visibleKeys">Keys 0..visibleKeys−1 of the tile are visible to this row (≤ 0: none).</param>
    public ScoreRow(ReadOnlySpan<int> acc, float queryScale, ReadOnlySpan<float> keyScales, ReadOnlySpan<float> deltaS, int visibleKeys)
    {
        if (keyScales.Length < acc.Length)
            throw new ArgumentException($"keyScales holds {keyScales.Length} scales for {acc.Length} keys; expected one per key.", nameof(keyScales));
        if (!deltaS.IsEmpty && deltaS.Length < acc.Length)
            throw new ArgumentException($"deltaS holds {deltaS.Length} values for {acc.Length} keys; expected empty or one per key.", nameof(deltaS));
        Acc = acc;
        QueryScale = queryScale;
        KeyScales = keyScales;
        DeltaS = deltaS;
        VisibleKeys = Math.Clamp(visibleKeys, 0, acc.Length);
    }

    public ReadOnlySpan<int> Acc { get; }
    public float QueryScale { get; }
    public ReadOnlySpan<float> KeyScales { get; }
    public ReadOnlySpan<float> DeltaS { get; }

    /// <summary>Visible keys, clamped to [0, number of keys].</summary>
    public int VisibleKeys { get; }

    /// <summary>Keys of the tile (the length of <see cref="Acc"/>).</summary>
    public int Keys => Acc.Length;
}
