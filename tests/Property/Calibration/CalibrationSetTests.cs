using FsCheck.Xunit;
using Sage.Reference.Calibration;
using Xunit;

namespace Sage.Property.Tests.Calibration;

/// <summary>Calibration sets: both storages, layouts, GQA, natural layer order and every way a set can be incomplete.</summary>
public class CalibrationSetTests
{
    private static HostTensor Random(Random rng, ElementType type, params int[] shape)
    {
        var values = new float[shape.Aggregate(1, (p, d) => p * d)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 4 - 2);
        return HostTensor.Create(type, values, shape);
    }

    private static CalibrationLayer Layer(Random rng, string name, AttentionProblem problem, ElementType type)
    {
        var s = problem.Shape;
        return new CalibrationLayer(name, problem,
            Random(rng, type, s.QueryShape(problem.Layout)), Random(rng, type, s.KeyValueShape(problem.Layout)), Random(rng, type, s.KeyValueShape(problem.Layout)));
    }

    private static void AssertSameLayer(CalibrationLayer expected, CalibrationLayer actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Problem, actual.Problem);
        foreach (var (e, a) in new[] { (expected.Q, actual.Q), (expected.K, actual.K), (expected.V, actual.V) })
        {
            Assert.Equal(e.ElementType, a.ElementType);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.ToSingleArray(), a.ToSingleArray());
        }
    }

    /// <summary>The CLI-free smoke test: a 2-layer safetensors set and a 2-layer npy folder, written and opened.</summary>
    [Fact]
    public void TwoLayerSetsOpenFromSafetensorsAndFromAnNpyFolder()
    {
        using var dir = new TempFolder();
        var rng = new Random(6);
        var layers = new[]
        {
            Layer(rng, "layer0", new AttentionProblem(new AttentionShape(1, 4, 4, 16, 16, 32)), ElementType.Float16),
            Layer(rng, "layer1", new AttentionProblem(new AttentionShape(2, 4, 2, 8, 24, 16)), ElementType.Float16),
        };
        string st = dir.File("calib.safetensors"), npy = dir.File("calib-npy");
        CalibrationSetWriter.WriteSafetensors(st, layers, new Dictionary<string, string> { ["model"] = "test" });
        CalibrationSetWriter.WriteNpyFolder(npy, layers);

        foreach (var (path, storage) in new[] { (st, CalibrationStorage.Safetensors), (npy, CalibrationStorage.NpyFolder) })
        {
            var set = CalibrationSet.Open(path);
            Assert.Equal(storage, set.Storage);
            Assert.Equal(2, set.Count);
            Assert.Empty(set.Ignored);
            Assert.Equal(["layer0", "layer1"], set.Layers.Select(l => l.Name));
            var read = set.ToList();
            for (int i = 0; i < 2; i++) AssertSameLayer(layers[i], read[i]);
            AssertSameLayer(layers[1], set.Read("layer1"));
        }
    }

    [Theory]
    [InlineData(ElementType.Float32)]
    [InlineData(ElementType.BFloat16)]
    public void OtherHostTypesRoundTripThroughSafetensors(ElementType type)
    {
        using var dir = new TempFolder();
        var layer = Layer(new Random(1), "l", new AttentionProblem(new AttentionShape(1, 2, 1, 5, 7, 8)), type);
        CalibrationSetWriter.WriteSafetensors(dir.File("x.safetensors"), [layer]);
        AssertSameLayer(layer, CalibrationSet.Open(dir.File("x.safetensors")).Single());
        if (type == ElementType.BFloat16)
            Assert.Throws<ArgumentException>(() => CalibrationSetWriter.WriteNpyFolder(dir.File("npy"), [layer]));
    }

    [Fact]
    public void NhdLayoutGqaAndCausalComeFromTheShapesAndOptions()
    {
        using var dir = new TempFolder();
        var problem = new AttentionProblem(new AttentionShape(2, 8, 2, 12, 20, 16), TensorLayout.NHD, causal: true);
        var layer = Layer(new Random(2), "attn", problem, ElementType.Float16);
        Assert.Equal([2, 12, 8, 16], layer.Q.Shape);
        CalibrationSetWriter.WriteSafetensors(dir.File("nhd.safetensors"), [layer]);
        var set = CalibrationSet.Open(dir.File("nhd.safetensors"), TensorLayout.NHD, causal: true);
        Assert.Equal(problem, set.Layers[0].Problem);
        AssertSameLayer(layer, set.Read(0));

        // The same bytes read as HND mean other heads and lengths: [2, 12, 8, 16] is B=2, H=12, N=8, and K's 20 heads do not divide 12.
        var e = Assert.Throws<CalibrationFormatException>(() => CalibrationSet.Open(dir.File("nhd.safetensors")));
        Assert.Equal("attn.k", e.Tensor);
        Assert.Contains("20 key/value heads do not divide", e.Problem);
        Assert.False(CalibrationSet.Open(dir.File("nhd.safetensors"), TensorLayout.NHD).Layers[0].Problem.Causal);
    }

    [Fact]
    public void LayersComeInNaturalOrderAndStrangersAreListedAsIgnored()
    {
        using var dir = new TempFolder();
        var rng = new Random(3);
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 2, 2, 4));
        string[] names = ["model.layers.10.attn", "model.layers.2.attn", "model.layers.1.attn", "model.layers.9.attn"];
        var layers = names.Select(n => Layer(rng, n, problem, ElementType.Float32)).ToList();
        var tensors = layers.SelectMany(l => new[] { ("q", l.Q), ("k", l.K), ("v", l.V) }.Select(p => StoredTensor.FromHostTensor($"{l.Name}.{p.Item1}", p.Item2)))
            .Append(StoredTensor.FromInt8("embed", [1], 1)).Append(StoredTensor.FromInt8("model.layers.1.attn.o", [1], 1));
        SafetensorsFile.Write(dir.File("s.safetensors"), tensors);
        var set = CalibrationSet.Open(dir.File("s.safetensors"));
        Assert.Equal(["model.layers.1.attn", "model.layers.2.attn", "model.layers.9.attn", "model.layers.10.attn"], set.Layers.Select(l => l.Name));
        Assert.Equal(["embed", "model.layers.1.attn.o"], set.Ignored);

        CalibrationSetWriter.WriteNpyFolder(dir.File("npy"), layers.Select(l => l with { Name = l.Name.Replace("model.layers.", "layer") }));
        Directory.CreateDirectory(dir.File("npy/notes"));
        var folder = CalibrationSet.Open(dir.File("npy"));
        Assert.Equal(["layer1.attn", "layer2.attn", "layer9.attn", "layer10.attn"], folder.Layers.Select(l => l.Name));
        Assert.Equal(["notes"], folder.Ignored);
    }

    [Fact]
    public void Int8AndFp8LayersWidenToFloat32()
    {
        using var dir = new TempFolder();
        sbyte[] q = [1, -2, 3, -4, 5, -6, 7, -8];
        byte[] kv = [0x38, 0x40, 0xB8, 0x7E, 0x00, 0x01, 0x80, 0x30];
        SafetensorsFile.Write(dir.File("q8.safetensors"), [
            StoredTensor.FromInt8("l.q", q, 1, 2, 1, 4), StoredTensor.FromFp8E4M3("l.k", kv, 1, 1, 2, 4), StoredTensor.FromFp8E4M3("l.v", kv, 1, 1, 2, 4)]);
        var layer = CalibrationSet.Open(dir.File("q8.safetensors")).Single();
        Assert.Equal(new AttentionShape(1, 2, 1, 1, 2, 4), layer.Problem.Shape);
        Assert.Equal(q.Select(x => (float)x), layer.Q.ToSingleArray());
        Assert.Equal([1f, 2f, -1f, 448f, 0f, 1f / 512f, -0f, 0.5f], layer.K.ToSingleArray());
        Assert.Equal(ElementType.Float32, layer.V.ElementType);
    }

    private static CalibrationFormatException OpenFails(string path) => Assert.Throws<CalibrationFormatException>(() => CalibrationSet.Open(path));

    private static StoredTensor T(string name, params int[] shape) =>
        new(name, StoredElementType.Float16, shape, new byte[2 * shape.Aggregate(1, (p, d) => p * d)]);

    [Theory]
    [InlineData("l0.q:1,2,4,8 l0.k:1,2,4,8", "l0.v", "has l0.q and l0.k but no v")]
    [InlineData("l0.q:1,2,4,8 l0.v:1,2,4,8", "l0.k", "no k")]
    [InlineData("l0.k:1,2,4,8 l0.v:1,2,4,8 l1.q:1,1,1,8 l1.k:1,1,1,8 l1.v:1,1,1,8", "l0.q", "no q")]
    [InlineData("l0.q:1,2,4,8 l0.k:1,2,4,8 l0.v:1,2,5,8", "l0.v", "differs from l0.k's [1, 2, 4, 8]")]
    [InlineData("l0.q:1,2,4,8 l0.k:2,2,4,8 l0.v:2,2,4,8", "l0.k", "batch 2 differs from l0.q's batch 1")]
    [InlineData("l0.q:1,2,4,8 l0.k:1,2,4,16 l0.v:1,2,4,16", "l0.k", "head_dim 16 differs")]
    [InlineData("l0.q:1,6,4,8 l0.k:1,4,4,8 l0.v:1,4,4,8", "l0.k", "4 key/value heads do not divide l0.q's 6")]
    [InlineData("l0.q:1,2,4,8 l0.k:1,0,4,8 l0.v:1,0,4,8", "l0.k", "0 key/value heads")]
    [InlineData("l0.q:2,4,8 l0.k:1,2,4,8 l0.v:1,2,4,8", "l0.q", "has 3 dimensions")]
    [InlineData("l0.q:0,2,4,8 l0.k:0,2,4,8 l0.v:0,2,4,8", "l0.q", "at least one batch entry")]
    [InlineData("a:1 b.x:2", null, "no tensor is named '<layer>.q'")]
    public void IncompleteOrMismatchedSafetensorsSetsNameTheTensor(string spec, string? tensor, string problem)
    {
        using var dir = new TempFolder();
        var tensors = spec.Split(' ').Select(s => s.Split(':')).Select(p => T(p[0], p[1].Split(',').Select(int.Parse).ToArray()));
        string path = dir.File("bad.safetensors");
        SafetensorsFile.Write(path, tensors);
        var e = OpenFails(path);
        Assert.Equal(path, e.File);
        Assert.Equal(tensor, e.Tensor);
        Assert.Contains(problem, e.Problem);
    }

    [Fact]
    public void IncompleteOrBrokenNpyFoldersNameTheFile()
    {
        using var dir = new TempFolder();
        var layer = Layer(new Random(4), "layer3", new AttentionProblem(new AttentionShape(1, 2, 2, 3, 3, 4)), ElementType.Float16);
        CalibrationSetWriter.WriteNpyFolder(dir.Path, [layer]);
        string v = Path.Combine(dir.Path, "layer3", "v.npy");
        File.Delete(v);
        var e = OpenFails(dir.Path);
        Assert.Equal(v, e.File);
        Assert.Equal("layer3.v", e.Tensor);
        Assert.Contains("has q.npy and k.npy but no v.npy", e.Problem);

        var bytes = NpyFile.Serialize(StoredTensor.FromHostTensor("v", layer.V));
        File.WriteAllBytes(v, bytes[..^1]);
        e = OpenFails(dir.Path);
        Assert.Equal((v, "layer3.v"), (e.File, e.Tensor));
        Assert.Contains("truncated", e.Problem);

        File.WriteAllBytes(v, NpyFile.Serialize(StoredTensor.FromInt8("v", new sbyte[2 * 3 * 4], 1, 2, 3, 4)));
        var mixed = CalibrationSet.Open(dir.Path).Single(); // an int8 V next to FP16 Q and K is allowed
        Assert.Equal((ElementType.Float16, ElementType.Float32, 24L), (mixed.Q.ElementType, mixed.V.ElementType, mixed.V.Length));

        Assert.Contains("pass the folder", OpenFails(v).Problem);

        string k = Path.Combine(dir.Path, "layer3", "k.npy");
        File.WriteAllBytes(k, NpyFile.Serialize(StoredTensor.FromInt8("k", new sbyte[2 * 3 * 5], 1, 2, 3, 5)));
        File.WriteAllBytes(v, NpyFile.Serialize(StoredTensor.FromInt8("v", new sbyte[2 * 3 * 5], 1, 2, 3, 5)));
        e = OpenFails(dir.Path);
        Assert.Equal((k, "layer3.k"), (e.File, e.Tensor));
        Assert.Contains("head_dim 5 differs from layer3.q's head_dim 4", e.Problem);

        var empty = Directory.CreateDirectory(Path.Combine(dir.Path, "..", Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(empty, "model.safetensors"), SafetensorsFile.Serialize([]));
            Assert.Contains("pass the file itself", OpenFails(empty).Problem);
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }

    [Fact]
    public void AMissingPathIsNotAFormatError() =>
        Assert.Throws<FileNotFoundException>(() => CalibrationSet.Open(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))));

    /// <summary>Corrupt one byte of a real 2-layer calibration file on disk: the set opens with exactly its layers or fails cleanly.</summary>
    [Property(MaxTest = 150)]
    public void CorruptedCalibrationFilesOpenExactlyOrFailCleanly(int position, byte xor, bool truncate)
    {
        var rng = new Random(5);
        var layers = new[]
        {
            Layer(rng, "blocks.0", new AttentionProblem(new AttentionShape(1, 2, 1, 3, 4, 4)), ElementType.Float16),
            Layer(rng, "blocks.1", new AttentionProblem(new AttentionShape(1, 2, 2, 2, 2, 4)), ElementType.BFloat16),
        };
        using var dir = new TempFolder();
        string path = dir.File("c.safetensors");
        CalibrationSetWriter.WriteSafetensors(path, layers);
        var bytes = File.ReadAllBytes(path);
        int header = CalibrationBytes.SafetensorsHeaderEnd(bytes);
        int i = (int)((uint)position % (truncate ? bytes.Length : header));
        if (truncate) bytes = bytes[..i];
        else bytes[i] ^= xor == 0 ? (byte)1 : xor;
        File.WriteAllBytes(path, bytes);

        bool rejected = CalibrationBytes.ReadsExactlyOrRejects(() => CalibrationSet.Open(path).ToList(), read =>
        {
            Assert.Equal(2, read.Count);
            for (int l = 0; l < 2; l++) AssertSameLayer(layers[l], read[l]);
        }, path);
        Assert.True(rejected || !truncate);
    }
}
