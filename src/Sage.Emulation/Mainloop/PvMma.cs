using Sage.Emulation.Preprocessing;
using Sage.Emulation.TensorCores;
using Sage.Numerics;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// Chains of FP8 wgmma k-steps (32 tokens each) through a tensor-core model, for all channels of one P row. Uses
/// <see cref="Fp8PvFastPath"/> when the model allows it, else the model's byte-level path
/// (<see cref="Fp8FusedDotModel.DotBytes"/>), else decodes and calls <see cref="IDotProductModel.Dot"/> per k-step.
/// </summary>
public sealed class PvMma
{
    private readonly Fp8FusedDotModel? _fused;

    public PvMma(IDotProductModel model, MmaAccumulator expectedAccumulator, bool allowFastPath = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Input != MmaInputFormat.E4M3 || model.K != KernelTiling.PvKStep || model.Accumulator != expectedAccumulator)
            throw new ArgumentException(
                $"PV model '{model.Name}' has input {model.Input}, K={model.K}, accumulator {model.Accumulator}; expected E4M3, K={KernelTiling.PvKStep}, {expectedAccumulator}.",
                nameof(model));
        Model = model;
        _fused = model as Fp8FusedDotModel;
        FastPath = allowFastPath ? Fp8PvFastPath.TryCreate(model) : null;
        TileKernel = allowFastPath ? Fp8PvTileKernel.TryCreate(model) : null;
        RowLaneKernel = allowFastPath ? Fp8PvRowLaneKernel.TryCreate(model) : null;
    }

    /// <summary>The rows-in-lanes evaluation of a whole query tile (transposed P and accumulators), or null.</summary>
    public Fp8PvRowLaneKernel? RowLaneKernel { get; }

    /// <summary>The register-blocked evaluation for many rows at once, or null (then rows go one by one).</summary>
    public Fp8PvTileKernel? TileKernel { get; }

    public IDotProductModel Model { get; }

    /// <summary>The vectorised evaluation in use, or null.</summary>
    public Fp8PvFastPath? FastPath { get; }

    /// <summary>
    /// acc[c] = chain over tokens [from, from + count) of the tile at global token <paramref name="tileStart"/>,
    /// starting from C = acc[c], for every channel c.
    /// </summary>
    public void Chain(ReadOnlySpan<byte> p8, int tileStart, int from, int count, PreparedKeyValueHead kv, Span<float> acc)
    {
        if (FastPath is not null) { FastPath.Chain(p8, tileStart, from, count, kv, acc); return; }
        for (int c = 0; c < acc.Length; c++)
            acc[c] = Chain(p8.Slice(from, count), kv.ValueCodesTransposed.AsSpan(c * kv.PaddedLength + tileStart + from, count), acc[c]);
    }

    /// <summary>D = chain of k-steps over <paramref name="p"/>·<paramref name="v"/> (lengths a multiple of 32) starting from <paramref name="c"/>.</summary>
    public float Chain(ReadOnlySpan<byte> p, ReadOnlySpan<byte> v, float c)
    {
        if (_fused is not null) return _fused.DotBytes(p, v, c);
        Span<float> a = stackalloc float[KernelTiling.PvKStep];
        Span<float> b = stackalloc float[KernelTiling.PvKStep];
        for (int s = 0; s < p.Length; s += KernelTiling.PvKStep)
        {
            for (int k = 0; k < KernelTiling.PvKStep; k++)
            {
                a[k] = Fp8E4M3.Decode(p[s + k]);
                b[k] = Fp8E4M3.Decode(v[s + k]);
            }
            c = Model.Dot(a, b, c);
        }
        return c;
    }
}
