namespace Sage.Reference.Calibration;

/// <summary>One layer's calibration slice: the attention problem its shapes define, and its Q, K and V.</summary>
public sealed record CalibrationLayer(string Name, AttentionProblem Problem, HostTensor Q, HostTensor K, HostTensor V);

/// <summary>What a calibration set's headers say about one layer, known before its tensors are read.</summary>
public sealed record CalibrationLayerInfo(string Name, AttentionProblem Problem, TensorInfo Q, TensorInfo K, TensorInfo V);

/// <summary>How a calibration set is stored.</summary>
public enum CalibrationStorage
{
    /// <summary>One .safetensors file with tensors named &lt;layer&gt;.q, &lt;layer&gt;.k and &lt;layer&gt;.v.</summary>
    Safetensors,

    /// <summary>A folder with one subfolder per layer holding q.npy, k.npy and v.npy.</summary>
    NpyFolder,
}
