namespace LlmQueue.Infra.Tests.Docker;

/// <summary>The matcher against the examples in Docker's .dockerignore documentation.</summary>
public sealed class DockerIgnoreTests
{
    [Theory]
    [InlineData("somedir/temporary.txt", true)]
    [InlineData("somedir/temp", true)]
    [InlineData("somedir/temp/inside.txt", true)]
    [InlineData("temporary.txt", false)]
    [InlineData("somedir/subdir/temporary.txt", false)]
    public void Star_stays_within_one_segment(string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse("*/temp*").IsExcluded(path));

    [Theory]
    [InlineData("tempa", true)]
    [InlineData("tempb", true)]
    [InlineData("temp", false)]
    [InlineData("tempab", false)]
    public void Question_mark_is_one_character(string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse("temp?").IsExcluded(path));

    [Theory]
    [InlineData("main.go", true)]
    [InlineData("a/b/c/main.go", true)]
    [InlineData("a/b/main.got", false)]
    public void Double_star_spans_any_number_of_folders(string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse("**/*.go").IsExcluded(path));

    [Theory]
    [InlineData("README.md", false)]
    [InlineData("README-secret.md", true)]
    [InlineData("CHANGES.md", true)]
    [InlineData("main.cs", false)]
    public void The_last_matching_rule_wins(string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse("*.md\n!README*.md\nREADME-secret.md").IsExcluded(path));

    [Theory]
    [InlineData("docs/guide/intro.md", true)]
    [InlineData("src/app/bin/Debug/app.dll", true)]
    [InlineData("src/app/Program.cs", false)]
    [InlineData("Dockerfile.md", true)]
    public void A_rule_on_a_folder_covers_its_contents_and_exceptions_reopen_it(string path, bool excluded) =>
        Assert.Equal(excluded, DockerIgnore.Parse("# comment\n*\n!src/\n**/bin\ndocs").IsExcluded(path));
}
