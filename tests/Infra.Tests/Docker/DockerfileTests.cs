using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmQueue.Infra.Tests.Docker;

/// <summary>
/// The Dockerfile checked without a Docker engine: what a build would need (sources in the context, projects
/// restored before the sources arrive) and what the image must be (pinned bases on one Ubuntu release, a non-root
/// user, the published worker as an exec-form entry point, the model cache as a volume, no secrets).
/// </summary>
public sealed partial class DockerfileTests
{
    private const string DotnetSdkRepository = "mcr.microsoft.com/dotnet/sdk";
    private const string AspNetRuntimeRepository = "mcr.microsoft.com/dotnet/aspnet";
    private const string CudaRepository = "nvidia/cuda";

    // Where the official .NET images install the runtime (dotnet-docker's Dockerfiles), so where a COPY takes it from.
    private const string DotnetInstallFolder = "/usr/share/dotnet";

    // Ubuntu codenames the .NET images use in their tags, by release number (the CUDA images use the number).
    private static readonly Dictionary<string, string> s_ubuntuCodenames = new(StringComparer.Ordinal)
    {
        ["focal"] = "20.04",
        ["jammy"] = "22.04",
        ["noble"] = "24.04",
    };

    private static readonly Lazy<Task<IReadOnlyDictionary<string, string>>> s_workerProperties =
        new(() => MsBuildProperties.EvaluateAsync(WorkerImage.WorkerProject, "AssemblyName", "TargetFramework"));

    private static Dockerfile Dockerfile => WorkerImage.Dockerfile;

    [Fact]
    public void Stages_are_an_sdk_build_a_dotnet_runtime_and_a_cuda_runtime_final_stage()
    {
        var build = StageOf(DotnetSdkRepository);
        Assert.Contains(build.All("RUN"), run => run.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal));
        Assert.Contains(build.All("RUN"), run => run.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal));
        StageOf(AspNetRuntimeRepository);

        // The runtime flavour carries NVRTC and cuBLAS; base has neither, devel adds a compiler the image doesn't need.
        var final = ImageReference.Parse(Dockerfile.FinalStage.Image);
        Assert.Equal(CudaRepository, final.Repository);
        Assert.Contains("runtime", (final.Tag ?? "").Split('-'));
    }

    [Fact]
    public void Every_base_image_is_pinned_to_a_full_version()
    {
        foreach (var stage in ExternalStages())
        {
            var image = ImageReference.Parse(stage.Image);
            Assert.True(
                image.Digest is not null || (image.Tag is not null && FullVersionTag().IsMatch(image.Tag)),
                $"Line {stage.From.Line}: '{stage.Image}' is not pinned to a major.minor.patch tag or a digest.");
            Assert.NotEqual("latest", image.Tag);
        }
    }

    [Fact]
    public void Every_base_image_is_the_same_ubuntu_release()
    {
        var releases = ExternalStages().Select(stage => (stage.Image, Release: UbuntuRelease(ImageReference.Parse(stage.Image)))).ToArray();
        Assert.All(releases, image => Assert.True(image.Release is not null, $"'{image.Image}' names no Ubuntu release in its tag."));
        Assert.True(
            releases.Select(image => image.Release).Distinct().Count() == 1,
            "The bases differ in Ubuntu release: " + string.Join(", ", releases.Select(image => $"{image.Image} ({image.Release})")));
    }

    [Fact]
    public async Task The_dotnet_images_match_the_target_framework_and_global_json()
    {
        var targetFramework = (await s_workerProperties.Value)["TargetFramework"];
        var frameworkVersion = Version.Parse(targetFramework["net".Length..]);
        var sdk = ImageVersion(StageOf(DotnetSdkRepository));
        var runtime = ImageVersion(StageOf(AspNetRuntimeRepository));
        Assert.Equal((frameworkVersion.Major, frameworkVersion.Minor), (sdk.Major, sdk.Minor));
        Assert.Equal((frameworkVersion.Major, frameworkVersion.Minor), (runtime.Major, runtime.Minor));

        // global.json's "latestFeature" accepts the same major.minor at the pinned feature band or a later one.
        using var globalJson = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("global.json")));
        var pinned = Version.Parse(globalJson.RootElement.GetProperty("sdk").GetProperty("version").GetString()!);
        Assert.Equal("latestFeature", globalJson.RootElement.GetProperty("sdk").GetProperty("rollForward").GetString());
        Assert.Equal((pinned.Major, pinned.Minor), (sdk.Major, sdk.Minor));
        Assert.True(sdk.Build / 100 >= pinned.Build / 100, $"SDK {sdk} is below global.json's feature band {pinned}.");
    }

    [Fact]
    public void The_final_stage_runs_as_a_non_root_user_it_creates()
    {
        var user = Assert.Single(Dockerfile.FinalStage.All("USER")).Arguments.Split(':');
        Assert.DoesNotContain(user[0], new[] { "root", "0" });
        if (user.Length > 1)
        {
            Assert.NotEqual("0", user[1]);
        }

        // A numeric USER must exist in /etc/passwd, or the process runs without a name or home folder.
        if (int.TryParse(user[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
        {
            Assert.Contains(
                Dockerfile.FinalStage.All("RUN"),
                run => run.Arguments.Contains("useradd", StringComparison.Ordinal)
                    && run.Arguments.Contains($"--uid {uid}", StringComparison.Ordinal));
        }

        var userLine = Dockerfile.FinalStage.All("USER").Single().Line;
        Assert.True(Dockerfile.FinalStage.Instructions.Single(i => i.Keyword == "ENTRYPOINT").Line > userLine);
    }

    [Fact]
    public void Every_copy_source_exists_and_is_in_the_build_context()
    {
        var copies = Dockerfile.Stages.SelectMany(stage => stage.Instructions)
            .Where(instruction => instruction.Keyword is "COPY" or "ADD" && !instruction.Flags.ContainsKey("from"))
            .ToArray();
        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            foreach (var source in copy.Words.SkipLast(1))
            {
                var path = Repository.PathOf(source);
                Assert.True(File.Exists(path) || Directory.Exists(path), $"Line {copy.Line}: COPY source '{source}' does not exist.");
                Assert.False(WorkerImage.Ignore.IsExcluded(source), $"Line {copy.Line}: '{source}' is excluded by .dockerignore.");
                if (Directory.Exists(path))
                {
                    Assert.Contains(
                        Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories),
                        file => !WorkerImage.Ignore.IsExcluded(Repository.RelativePathOf(file)));
                }
            }
        }
    }

    [Fact]
    public void Local_build_outputs_stay_out_of_the_build_context()
    {
        Assert.True(WorkerImage.Ignore.IsExcluded("src/Worker/bin/Release/net10.0/LlmQueue.Worker.dll"));
        Assert.True(WorkerImage.Ignore.IsExcluded("src/Engine/obj/project.assets.json"));
        Assert.True(WorkerImage.Ignore.IsExcluded(".cache/reference/package.json"));
        Assert.True(WorkerImage.Ignore.IsExcluded("tests/Worker.Tests/Worker.Tests.csproj"));
        Assert.False(WorkerImage.Ignore.IsExcluded("src/Worker/Program.cs"));
    }

    [Fact]
    public void Every_project_the_worker_references_is_copied_before_restore()
    {
        var build = StageOf(DotnetSdkRepository);
        var copied = FilesCopiedBeforeRestore(build);
        var missing = ProjectGraph.Closure(WorkerImage.WorkerProject)
            .Concat(["global.json", "Directory.Build.props", "Directory.Packages.props"])
            .Where(file => !copied.Contains(file))
            .ToArray();
        Assert.True(
            missing.Length == 0,
            "Copy these into the build stage (to the same relative path) before 'dotnet restore', so the restore layer "
            + "sees every project and package version: " + string.Join(", ", missing));
    }

    [Fact]
    public void Restore_and_publish_agree_on_project_and_runtime()
    {
        var build = StageOf(DotnetSdkRepository);
        var restore = DotnetCommand(build, "restore");
        var publish = DotnetCommand(build, "publish");
        Assert.Equal(WorkerImage.WorkerProject, restore[2]);
        Assert.Equal(WorkerImage.WorkerProject, publish[2]);
        Assert.Contains("--no-restore", publish);
        Assert.Equal(OptionValue(restore, "--runtime"), OptionValue(publish, "--runtime"));
    }

    [Fact]
    public async Task The_entrypoint_runs_the_published_worker_with_the_copied_dotnet_host()
    {
        var final = Dockerfile.FinalStage;
        var entrypoint = Assert.Single(final.All("ENTRYPOINT"));
        Assert.True(entrypoint.IsExecForm, $"Line {entrypoint.Line}: ENTRYPOINT must be exec form so the worker is PID 1 and gets SIGTERM.");
        Assert.Empty(final.All("CMD"));
        var arguments = entrypoint.ExecArguments;

        var runtimeStage = StageOf(AspNetRuntimeRepository);
        var dotnetCopy = CopyFromStage(final, runtimeStage);
        Assert.Equal(DotnetInstallFolder, dotnetCopy[0]);
        Assert.Equal(dotnetCopy[1] + "/dotnet", arguments[0]);

        var build = StageOf(DotnetSdkRepository);
        var publishFolder = OptionValue(DotnetCommand(build, "publish"), "--output");
        var appCopy = CopyFromStage(final, build);
        Assert.Equal(publishFolder, appCopy[0]);
        var assemblyName = (await s_workerProperties.Value)["AssemblyName"];
        Assert.Equal($"{appCopy[1]}/{assemblyName}.dll", arguments[1]);
    }

    [Fact]
    public void The_model_cache_is_a_volume_the_worker_is_pointed_at_and_can_write()
    {
        var volume = Assert.Single(WorkerImage.Volumes);
        Assert.Equal(volume, WorkerImage.Environment["LLMQ_Engine__CacheDirectory"]);
        Assert.Contains(
            Dockerfile.FinalStage.All("RUN"),
            run => run.Arguments.Contains("chown", StringComparison.Ordinal) && run.Words.Contains(volume));
    }

    [Fact]
    public void No_secret_is_baked_into_the_image()
    {
        var variables = Dockerfile.Stages.SelectMany(stage => stage.All("ENV")).SelectMany(env => env.Variables.Keys)
            .Concat(Dockerfile.Instructions.Where(i => i.Keyword == "ARG").Select(arg => arg.Words[0].Split('=')[0]));
        Assert.DoesNotContain(variables, name => SecretName().IsMatch(name));
        Assert.DoesNotContain(Dockerfile.Instructions, instruction => instruction.Keyword == "ADD");
    }

    private static IEnumerable<DockerfileStage> ExternalStages() =>
        Dockerfile.Stages.Where(stage => !Dockerfile.IsStageName(stage.Image));

    private static DockerfileStage StageOf(string repository) =>
        Assert.Single(ExternalStages(), stage => ImageReference.Parse(stage.Image).Repository == repository);

    private static Version ImageVersion(DockerfileStage stage)
    {
        var tag = ImageReference.Parse(stage.Image).Tag!;
        return Version.Parse(tag.Split('-')[0]);
    }

    private static string? UbuntuRelease(ImageReference image)
    {
        foreach (var token in (image.Tag ?? "").Split('-'))
        {
            if (token.StartsWith("ubuntu", StringComparison.Ordinal))
            {
                return token["ubuntu".Length..];
            }

            if (s_ubuntuCodenames.TryGetValue(token, out var release))
            {
                return release;
            }
        }

        return null;
    }

    /// <summary>The words of the stage's one 'RUN dotnet {verb} ...' (a single command: no '&&' chains).</summary>
    private static IReadOnlyList<string> DotnetCommand(DockerfileStage stage, string verb)
    {
        var run = Assert.Single(stage.All("RUN"), run => run.Arguments.StartsWith($"dotnet {verb} ", StringComparison.Ordinal));
        Assert.DoesNotContain("&&", run.Words);
        return run.Words;
    }

    private static string OptionValue(IReadOnlyList<string> words, string option)
    {
        var at = words.ToList().IndexOf(option);
        Assert.True(at >= 0 && at + 1 < words.Count, $"'{string.Join(' ', words)}' has no {option} value.");
        return words[at + 1];
    }

    /// <summary>[source, destination] of the stage's one COPY --from=<paramref name="from"/>.</summary>
    private static IReadOnlyList<string> CopyFromStage(DockerfileStage stage, DockerfileStage from)
    {
        var copy = Assert.Single(
            stage.All("COPY"),
            copy => copy.Flags.TryGetValue("from", out var source) && string.Equals(source, from.Name, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(2, copy.Words.Count);
        return copy.Words;
    }

    /// <summary>
    /// Repository-relative files the stage's COPY instructions put at the same path under WORKDIR before its
    /// 'dotnet restore' (a project copied elsewhere would break its relative ProjectReferences).
    /// </summary>
    private static HashSet<string> FilesCopiedBeforeRestore(DockerfileStage stage)
    {
        var copied = new HashSet<string>(StringComparer.Ordinal);
        var workdir = "/";
        foreach (var instruction in stage.Instructions)
        {
            if (instruction.Keyword == "RUN" && instruction.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal))
            {
                return copied;
            }

            if (instruction.Keyword == "WORKDIR")
            {
                workdir = ContainerPath(workdir, instruction.Arguments);
            }
            else if (instruction.Keyword == "COPY" && !instruction.Flags.ContainsKey("from"))
            {
                var sources = instruction.Words.SkipLast(1).ToArray();
                var destination = instruction.Words[^1];
                var intoFolder = destination.EndsWith('/') || sources.Length > 1;
                foreach (var source in sources.Where(source => File.Exists(Repository.PathOf(source))))
                {
                    var target = ContainerPath(workdir, intoFolder ? $"{destination}/{Path.GetFileName(source)}" : destination);
                    if (target == ContainerPath(workdir, source))
                    {
                        copied.Add(source);
                    }
                }
            }
        }

        Assert.Fail("The build stage has no 'RUN dotnet restore'.");
        return copied;
    }

    /// <summary>An absolute container path: <paramref name="path"/> taken relative to <paramref name="folder"/>.</summary>
    private static string ContainerPath(string folder, string path)
    {
        var segments = new List<string>();
        foreach (var segment in (path.StartsWith('/') ? path : $"{folder}/{path}").Split('/'))
        {
            if (segment == "..")
            {
                segments.RemoveAt(segments.Count - 1);
            }
            else if (segment is not ("" or "."))
            {
                segments.Add(segment);
            }
        }

        return "/" + string.Join('/', segments);
    }

    [GeneratedRegex(@"^\d+\.\d+\.\d+(-|$)")]
    private static partial Regex FullVersionTag();

    [GeneratedRegex("(?i)secret|token|password|passwd|api_?key|connectionstring|credential")]
    private static partial Regex SecretName();
}
