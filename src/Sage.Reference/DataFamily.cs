namespace Sage.Reference;

/// <summary>Distributions of synthetic attention inputs (see <see cref="SyntheticData"/>); σ is the generator's scale.</summary>
public enum DataFamily
{
    /// <summary>Normal, mean 0, standard deviation σ (torch.randn).</summary>
    Gaussian,

    /// <summary>Gaussian plus a constant bias of ±8σ per channel (last dimension), random sign; on K for attention inputs.
    /// Real LLM keys have such channel outliers; K smoothing exists to remove them.</summary>
    KChannelBias,

    /// <summary>The same channel bias as <see cref="KChannelBias"/>, put on V for attention inputs
    /// (stresses the per-channel FP8 scale of V).</summary>
    VChannelBias,

    /// <summary>Student-t with 3 degrees of freedom, scaled by σ: rare large values that stress per-group max scales.</summary>
    HeavyTail,

    /// <summary>Uniform on [−√3σ, √3σ): the same variance as <see cref="Gaussian"/>, no tails.</summary>
    Uniform,
}
