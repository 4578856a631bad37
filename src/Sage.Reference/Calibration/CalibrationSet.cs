using System.Collections;

namespace Sage.Reference.Calibration;

/// <summary>
/// Per-layer Q, K and V captured from a model, for planning accumulation modes. Two storages:
/// <list type="bullet">
/// <item>one .safetensors file with tensors named <c>&lt;layer&gt;.q</c>, <c>&lt;layer&gt;.k</c>, <c>&lt;layer&gt;.v</c>
/// (other tensors are listed in <see cref="Ignored"/>);</item>
/// <item>a folder with a subfolder <c>&lt;layer&gt;/</c> per layer holding <c>q.npy</c>, <c>k.npy</c>, <c>v.npy</c>
/// (subfolders with none of the three are listed in <see cref="Ignored"/>).</item>
/// </list>
/// Shapes are [B, H, N, D] (HND) or [B, N, H, D] (NHD); K and V may have fewer heads than Q when they divide it.
/// <see cref="Open"/> validates every header, shape and file length up front, so a malformed set fails with a
/// <see cref="CalibrationFormatException"/> before any layer is planned. Tensors are read one layer at a time.
/// </summary>
public sealed class CalibrationSet : IEnumerable<CalibrationLayer>
{
    private readonly Func<TensorInfo, HostTensor> _read;

    private CalibrationSet(string path, CalibrationStorage storage, TensorLayout layout, bool causal,
        List<CalibrationLayerInfo> layers, List<string> ignored, Func<TensorInfo, HostTensor> read)
    {
        Path = path;
        Storage = storage;
        Layout = layout;
        Causal = causal;
        Layers = layers;
        Ignored = ignored;
        _read = read;
    }

    public string Path { get; }
    public CalibrationStorage Storage { get; }
    public TensorLayout Layout { get; }
    public bool Causal { get; }

    /// <summary>Layers in natural order of their names (layer2 before layer10).</summary>
    public IReadOnlyList<CalibrationLayerInfo> Layers { get; }

    /// <summary>Tensors (safetensors) or subfolders (npy folder) that belong to no layer, for a warning.</summary>
    public IReadOnlyList<string> Ignored { get; }

    public int Count => Layers.Count;

    /// <summary>
    /// Opens a calibration set: a file is read as safetensors, a folder as one subfolder of .npy files per layer.
    /// Every layer's problem is non-causal unless <paramref name="causal"/>, with the default softmax scale.
    /// </summary>
    public static CalibrationSet Open(string path, TensorLayout layout = TensorLayout.HND, bool causal = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown tensor layout.");
        if (File.Exists(path) && string.Equals(System.IO.Path.GetExtension(path), ".npy", StringComparison.OrdinalIgnoreCase))
            throw new CalibrationFormatException(path, null,
                "one .npy file is not a calibration set; pass the folder that holds <layer>/q.npy, k.npy and v.npy");
        if (File.Exists(path)) return OpenSafetensors(path, layout, causal);
        if (Directory.Exists(path)) return OpenNpyFolder(path, layout, causal);
        throw new FileNotFoundException($"Calibration set '{path}' is neither a file nor a folder.", path);
    }

    public CalibrationLayer Read(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var info = Layers[index];
        var layer = new CalibrationLayer(info.Name, info.Problem, _read(info.Q), _read(info.K), _read(info.V));
        try
        {
            info.Problem.CheckInputs(layer.Q, layer.K, layer.V);
        }
        catch (ArgumentException e)
        {
            throw new CalibrationFormatException(Path, info.Name, $"the layer's files changed since the set was opened: {e.Message}", e);
        }
        return layer;
    }

    public CalibrationLayer Read(string name)
    {
        for (int i = 0; i < Layers.Count; i++)
            if (Layers[i].Name == name) return Read(i);
        throw new ArgumentException($"Calibration set '{Path}' has no layer '{name}'.", nameof(name));
    }

    /// <summary>Reads the layers one at a time, in order.</summary>
    public IEnumerator<CalibrationLayer> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return Read(i);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static readonly string[] Roles = ["q", "k", "v"];

    private static CalibrationSet OpenSafetensors(string path, TensorLayout layout, bool causal)
    {
        var file = SafetensorsFile.Open(path);
        var byLayer = new Dictionary<string, TensorInfo?[]>(StringComparer.Ordinal);
        var ignored = new List<string>();
        foreach (var t in file.Tensors)
        {
            int dot = t.Name.LastIndexOf('.');
            int role = dot > 0 ? Array.IndexOf(Roles, t.Name[(dot + 1)..]) : -1;
            if (role < 0)
            {
                ignored.Add(t.Name);
                continue;
            }
            string layer = t.Name[..dot];
            if (!byLayer.TryGetValue(layer, out var roles)) byLayer[layer] = roles = new TensorInfo?[3];
            roles[role] = t;
        }
        var layers = new List<CalibrationLayerInfo>();
        foreach (var (layer, roles) in byLayer.OrderBy(p => p.Key, NaturalStringComparer.Instance))
        {
            for (int r = 0; r < 3; r++)
            {
                if (roles[r] is null)
                    throw new CalibrationFormatException(path, $"{layer}.{Roles[r]}",
                        $"layer '{layer}' has {Present(roles)} but no {Roles[r]}; every layer needs {layer}.q, {layer}.k and {layer}.v");
            }
            layers.Add(Layer(_ => path, layer, roles!, layout, causal));
        }
        if (layers.Count == 0)
            throw new CalibrationFormatException(path, null,
                $"no tensor is named '<layer>.q', '<layer>.k' or '<layer>.v' (found {file.Tensors.Count} tensors)");
        return new CalibrationSet(path, CalibrationStorage.Safetensors, layout, causal, layers, ignored, t => file.ReadHostTensor(t.Name));
    }

    private static CalibrationSet OpenNpyFolder(string path, TensorLayout layout, bool causal)
    {
        var layers = new List<CalibrationLayerInfo>();
        var ignored = new List<string>();
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string folder in Directory.GetDirectories(path).OrderBy(System.IO.Path.GetFileName, NaturalStringComparer.Instance))
        {
            string layer = System.IO.Path.GetFileName(folder);
            var roleFiles = Roles.Select(r => System.IO.Path.Combine(folder, r + ".npy")).ToArray();
            bool[] present = roleFiles.Select(File.Exists).ToArray();
            if (!present.Contains(true))
            {
                ignored.Add(layer);
                continue;
            }
            var roles = new TensorInfo[3];
            for (int r = 0; r < 3; r++)
            {
                string name = $"{layer}.{Roles[r]}";
                if (!present[r])
                    throw new CalibrationFormatException(roleFiles[r], name,
                        $"layer folder '{layer}' has {string.Join(" and ", Roles.Where((_, i) => present[i]).Select(x => x + ".npy"))} but no {Roles[r]}.npy");
                roles[r] = NpyFile.ReadInfo(roleFiles[r], name);
                files[name] = roleFiles[r];
            }
            layers.Add(Layer(t => files[t.Name], layer, roles, layout, causal));
        }
        if (layers.Count == 0)
            throw new CalibrationFormatException(path, null,
                "the folder has no layer subfolders holding q.npy, k.npy and v.npy" +
                (Directory.EnumerateFiles(path, "*.safetensors").Any() ? " (to use a .safetensors file, pass the file itself)" : ""));
        return new CalibrationSet(path, CalibrationStorage.NpyFolder, layout, causal, layers, ignored,
            t => NpyFile.ReadHostTensor(files[t.Name], t.Name));
    }

    private static CalibrationLayerInfo Layer(Func<TensorInfo, string> fileOf, string name, TensorInfo[] roles, TensorLayout layout, bool causal) =>
        new(name, LayerProblem.Build(fileOf, roles[0], roles[1], roles[2], layout, causal), roles[0], roles[1], roles[2]);

    private static string Present(TensorInfo?[] roles) =>
        string.Join(" and ", roles.Where(r => r is not null).Select(r => r!.Name));
}
