using Sage.Cuda;
using Sage.Cuda.Interop;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>NVRTC discovery against a fake machine: search order, version choice, and an error that lists every place tried.</summary>
public class NvrtcDiscoveryTests
{
    /// <summary>A fake machine: folders with file names, libraries that load (by path or name) and those that fail.</summary>
    private sealed class FakeMachine
    {
        public Dictionary<string, string> Variables { get; } = [];
        public Dictionary<string, string[]> Folders { get; } = [];
        public HashSet<string> Loadable { get; } = [];
        public List<string> Roots { get; } = [];
        public List<string> LoadAttempts { get; } = [];

        public NvrtcSearchEnvironment Environment => new()
        {
            GetVariable = name => Variables.GetValueOrDefault(name),
            DirectoryExists = Folders.ContainsKey,
            ListFileNames = dir => Folders[dir],
            Load = Load,
            WellKnownRoots = () => Roots,
            TargetFolder = "x86_64-linux",
        };

        private (nint, string?) Load(string nameOrPath)
        {
            LoadAttempts.Add(nameOrPath);
            return Loadable.Contains(nameOrPath) ? (42, null) : (0, $"{Path.GetFileName(nameOrPath)}: cannot open shared object file");
        }
    }

    [Fact]
    public void Failure_lists_every_place_tried()
    {
        var machine = new FakeMachine();
        machine.Variables["CUDA_HOME"] = "/fake/home";
        machine.Variables["CUDA_PATH"] = "/fake/path";
        machine.Variables["LD_LIBRARY_PATH"] = "/fake/ld";
        machine.Roots.Add("/fake/usr/local/cuda");
        machine.Folders["/fake/home/lib64"] = ["libnvrtc.so.13", "libcudart.so.13"];
        machine.Folders["/fake/path/lib64"] = ["libcublas.so.13"];

        var e = Assert.Throws<CudaUnavailableException>(() => new NvrtcLocator(machine.Environment).Locate());

        Assert.Equal(CudaComponent.Nvrtc, e.Missing);
        string[] expectedPlaces =
        [
            "/fake/home/lib64/libnvrtc.so.13 (CUDA_HOME=/fake/home): libnvrtc.so.13: cannot open shared object file",
            "/fake/home/targets/x86_64-linux/lib (CUDA_HOME=/fake/home): no such folder",
            "/fake/home/lib (CUDA_HOME=/fake/home): no such folder",
            "/fake/path/lib64 (CUDA_PATH=/fake/path): no libnvrtc.so* in it",
            "/fake/path/targets/x86_64-linux/lib (CUDA_PATH=/fake/path): no such folder",
            "/fake/path/lib (CUDA_PATH=/fake/path): no such folder",
            "/fake/usr/local/cuda/lib64 (usual install folder): no such folder",
            "/fake/usr/local/cuda/targets/x86_64-linux/lib (usual install folder): no such folder",
            "/fake/usr/local/cuda/lib (usual install folder): no such folder",
            "libnvrtc.so.13 (loader path, LD_LIBRARY_PATH=/fake/ld): libnvrtc.so.13: cannot open shared object file",
            "libnvrtc.so.12 (loader path, LD_LIBRARY_PATH=/fake/ld): libnvrtc.so.12: cannot open shared object file",
            "libnvrtc.so.11.2 (loader path, LD_LIBRARY_PATH=/fake/ld): libnvrtc.so.11.2: cannot open shared object file",
            "libnvrtc.so (loader path, LD_LIBRARY_PATH=/fake/ld): libnvrtc.so: cannot open shared object file",
        ];
        Assert.Equal(expectedPlaces, e.PlacesTried);
        Assert.StartsWith("no NVRTC:", e.Message);
        Assert.All(expectedPlaces, place => Assert.Contains(place, e.Message));
        Assert.Contains("CUDA_HOME", e.Message[e.Message.LastIndexOf('\n')..]); // the advice line
    }

    [Fact]
    public void Newest_versioned_library_in_a_folder_is_tried_first_and_lookalikes_are_ignored()
    {
        var machine = new FakeMachine();
        machine.Variables["CUDA_HOME"] = "/cuda";
        machine.Folders["/cuda/lib64"] =
            ["libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.13.0.88", "libnvrtc.so.13", "libnvrtc-builtins.so.13.0", "libnvrtc.alt.so.13", "libnvrtc_static.a"];
        machine.Loadable.Add("/cuda/lib64/libnvrtc.so.13");

        var found = new NvrtcLocator(machine.Environment).Locate();

        Assert.Equal("/cuda/lib64/libnvrtc.so.13", found.LoadedFrom);
        Assert.Equal("/cuda/lib64", found.Directory);
        Assert.Equal(["/cuda/lib64/libnvrtc.so.13.0.88", "/cuda/lib64/libnvrtc.so.13"], machine.LoadAttempts);
    }

    [Fact]
    public void Cuda_home_wins_over_the_usual_install_folders()
    {
        var machine = new FakeMachine();
        machine.Variables["CUDA_HOME"] = "/opt/mine";
        machine.Roots.Add("/usr/local/cuda");
        machine.Folders["/usr/local/cuda/lib64"] = ["libnvrtc.so.13"];
        machine.Folders["/opt/mine/targets/x86_64-linux/lib"] = ["libnvrtc.so.12"];
        machine.Loadable.Add("/usr/local/cuda/lib64/libnvrtc.so.13");
        machine.Loadable.Add("/opt/mine/targets/x86_64-linux/lib/libnvrtc.so.12");

        Assert.Equal("/opt/mine/targets/x86_64-linux/lib/libnvrtc.so.12", new NvrtcLocator(machine.Environment).Locate().LoadedFrom);
    }

    [Fact]
    public void Explicit_path_comes_first()
    {
        var machine = new FakeMachine();
        machine.Variables["SAGE_NVRTC_PATH"] = "/x/libnvrtc.so.13";
        machine.Variables["CUDA_HOME"] = "/cuda";
        machine.Folders["/cuda/lib64"] = ["libnvrtc.so.13"];
        machine.Loadable.Add("/x/libnvrtc.so.13");
        machine.Loadable.Add("/cuda/lib64/libnvrtc.so.13");

        var found = new NvrtcLocator(machine.Environment).Locate();
        Assert.Equal("/x/libnvrtc.so.13", found.LoadedFrom);
        Assert.Equal(["/x/libnvrtc.so.13"], machine.LoadAttempts);
    }

    [Fact]
    public void Loader_path_is_the_last_resort()
    {
        var machine = new FakeMachine();
        machine.Loadable.Add("libnvrtc.so.12");

        var found = new NvrtcLocator(machine.Environment).Locate();
        Assert.Equal("libnvrtc.so.12", found.LoadedFrom);
        Assert.Null(found.Directory);
        Assert.Equal(["libnvrtc.so.13", "libnvrtc.so.12"], machine.LoadAttempts);
    }

    [Theory]
    [InlineData("libnvrtc.so.13", "libnvrtc.so.12")]
    [InlineData("libnvrtc.so.13.0.88", "libnvrtc.so.13")]
    [InlineData("cuda-12.10", "cuda-12.9")]
    [InlineData("libnvrtc.so.12", "libnvrtc.so")]
    public void Version_order_is_numeric(string newer, string older) =>
        Assert.True(LibraryVersionComparer.Instance.Compare(newer, older) > 0, $"{newer} should sort above {older}");

    [Fact]
    public void Include_folder_beside_nvrtc_is_preferred_and_brings_cccl()
    {
        var files = new HashSet<string> { "/cuda/targets/x86_64-linux/include/cuda_fp16.h", "/usr/local/cuda/include/cuda_fp16.h" };
        var folders = new HashSet<string> { "/cuda/targets/x86_64-linux/include/cccl" };

        string[] found = NvrtcLibrary.FindIncludeDirectories("/cuda/targets/x86_64-linux/lib", _ => null, folders.Contains, files.Contains);

        Assert.Equal(["/cuda/targets/x86_64-linux/include", "/cuda/targets/x86_64-linux/include/cccl"], found);
    }

    [Fact]
    public void Include_folder_falls_back_to_cuda_home()
    {
        var files = new HashSet<string> { "/home-cuda/include/cuda_fp16.h" };
        string[] found = NvrtcLibrary.FindIncludeDirectories(
            null, name => name == "CUDA_HOME" ? "/home-cuda" : null, _ => false, files.Contains);
        Assert.Equal(["/home-cuda/include"], found);
    }
}
