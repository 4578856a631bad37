namespace Sage.Reference.Calibration;

/// <summary>
/// Writes calibration sets in the two storages <see cref="CalibrationSet.Open"/> reads, for tests, examples and
/// tools that capture Q, K and V. Tensors are written as they are: the layout is the caller's.
/// </summary>
public static class CalibrationSetWriter
{
    /// <summary>One .safetensors file with tensors &lt;layer&gt;.q, &lt;layer&gt;.k and &lt;layer&gt;.v, in layer order.</summary>
    public static void WriteSafetensors(string path, IEnumerable<CalibrationLayer> layers, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var tensors = new List<StoredTensor>();
        foreach (var layer in layers)
        {
            CheckName(layer.Name, nameof(layers));
            tensors.Add(StoredTensor.FromHostTensor($"{layer.Name}.q", layer.Q));
            tensors.Add(StoredTensor.FromHostTensor($"{layer.Name}.k", layer.K));
            tensors.Add(StoredTensor.FromHostTensor($"{layer.Name}.v", layer.V));
        }
        SafetensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>
    /// A folder with one subfolder per layer holding q.npy, k.npy and v.npy (created as needed). NumPy has no
    /// bfloat16, so BF16 layers are refused; store them as safetensors.
    /// </summary>
    public static void WriteNpyFolder(string folder, IEnumerable<CalibrationLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers)
        {
            CheckName(layer.Name, nameof(layers));
            string layerFolder = Path.Combine(folder, layer.Name);
            Directory.CreateDirectory(layerFolder);
            NpyFile.Write(Path.Combine(layerFolder, "q.npy"), StoredTensor.FromHostTensor("q", layer.Q));
            NpyFile.Write(Path.Combine(layerFolder, "k.npy"), StoredTensor.FromHostTensor("k", layer.K));
            NpyFile.Write(Path.Combine(layerFolder, "v.npy"), StoredTensor.FromHostTensor("v", layer.V));
        }
    }

    private static void CheckName(string name, string argument)
    {
        if (string.IsNullOrEmpty(name) || name.IndexOfAny(['/', '\\']) >= 0 || name is "." or "..")
            throw new ArgumentException($"Layer name '{name}' cannot name a tensor prefix and a folder.", argument);
    }
}
