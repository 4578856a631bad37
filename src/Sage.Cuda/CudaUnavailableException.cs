namespace Sage.Cuda;

/// <summary>
/// CUDA cannot be used here: no driver, no device, or no NVRTC. The message says which and where we looked;
/// <see cref="PlacesTried"/> lists the same places one per entry.
/// </summary>
public sealed class CudaUnavailableException : Exception
{
    public CudaUnavailableException(CudaComponent missing, string message, IReadOnlyList<string> placesTried, Exception? inner = null)
        : base(message, inner)
    {
        Missing = missing;
        PlacesTried = placesTried;
    }

    /// <summary>Which part is missing.</summary>
    public CudaComponent Missing { get; }

    /// <summary>Every place looked at, with what was found there.</summary>
    public IReadOnlyList<string> PlacesTried { get; }
}
