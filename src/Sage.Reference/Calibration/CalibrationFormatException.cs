namespace Sage.Reference.Calibration;

/// <summary>
/// A calibration file (NumPy .npy, safetensors, or a calibration-set folder) is malformed. The message and the
/// properties name the file, the tensor when one is concerned, and what is wrong, so that a user can fix the
/// dump without reading our code.
/// </summary>
public sealed class CalibrationFormatException : FormatException
{
    public CalibrationFormatException(string file, string? tensor, string problem, Exception? innerException = null)
        : base(Compose(file, tensor, problem), innerException)
    {
        File = file;
        Tensor = tensor;
        Problem = problem;
    }

    /// <summary>The file (or folder) that is malformed, as the caller named it.</summary>
    public string File { get; }

    /// <summary>The tensor concerned, or null when the problem is with the file as a whole.</summary>
    public string? Tensor { get; }

    /// <summary>What is wrong, without the file and tensor names.</summary>
    public string Problem { get; }

    private static string Compose(string file, string? tensor, string problem) =>
        tensor is null ? $"{file}: {problem}" : $"{file}: tensor '{tensor}': {problem}";
}
