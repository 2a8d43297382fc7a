using LlmQueue.Models.Sources;
using LlmQueue.Models.Synthetic;
using LlmQueue.TestKit;

namespace LlmQueue.Models.Tests.Sources;

public sealed class ModelSourceLocalTests : IDisposable
{
    private readonly TempDirectory _cache = new();

    // Nothing listens there: a test that reached the network would fail instead of passing by accident.
    private readonly ModelSource _source;

    public ModelSourceLocalTests() => _source = new ModelSource(new ModelSourceOptions
    {
        CacheDirectory = _cache.Path,
        Endpoint = $"http://127.0.0.1:{HttpTestServer.FreePort()}/",
        Token = null,
        MaxAttempts = 1,
    });

    public void Dispose()
    {
        _source.Dispose();
        _cache.Dispose();
    }

    [Fact]
    public async Task Existing_folder_with_config_is_returned_as_is()
    {
        using var folder = TestCheckpoints.Write(SyntheticModelSpec.Tiny);

        var resolved = await _source.ResolveAsync(folder.Path, revision: "ignored-for-folders");

        Assert.Equal(new ResolvedModel(folder.Path, null, ModelOrigin.LocalFolder), resolved);
    }

    [Fact]
    public async Task Folder_without_config_fails_naming_the_file()
    {
        using var folder = new TempDirectory();

        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _source.ResolveAsync(folder.Path));

        Assert.Contains(folder.File("config.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/nonexistent/llmq-model")]
    [InlineData("./no-such-folder")]
    public async Task Missing_path_fails_as_a_folder_not_as_a_hub_id(string path)
    {
        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _source.ResolveAsync(path));

        Assert.Equal($"{path}: model folder not found.", error.Message);
    }

    [Theory]
    [InlineData("org/name/extra")]
    [InlineData("org--x/name")]
    [InlineData("has space/name")]
    [InlineData("org/na..me")]
    public async Task Malformed_model_id_fails_before_any_request(string id)
    {
        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _source.ResolveAsync(id));

        Assert.Contains($"'{id}' is neither an existing folder nor a Hub model id", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("refs//pr")]
    [InlineData("a\\b")]
    public async Task Revision_that_could_escape_the_cache_is_refused(string revision)
    {
        var error = await Assert.ThrowsAsync<ModelSourceException>(() => _source.ResolveAsync("org/name", revision));

        Assert.Contains($"Revision '{revision}' is not a valid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoint_that_is_not_an_http_url_is_refused()
    {
        var error = Assert.Throws<ModelSourceException>(() => new ModelSource(new ModelSourceOptions { Endpoint = "ftp://example.org" }).Dispose());

        Assert.Contains("ftp://example.org", error.Message, StringComparison.Ordinal);
    }
}
