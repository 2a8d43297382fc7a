namespace LlmQueue.Infra.Tests.Docker;

public sealed class DockerfileParserTests
{
    [Fact]
    public void Continuations_are_joined_and_comment_lines_inside_them_dropped()
    {
        var dockerfile = Dockerfile.Parse("""
            # syntax=docker/dockerfile:1
            FROM alpine:3.20 AS base

            RUN apk add \
            # a comment inside the continuation
                curl \
                jq
            """);

        var run = Assert.Single(dockerfile.Stage("base").All("RUN"));
        Assert.Equal(["apk", "add", "curl", "jq"], run.Words);
        Assert.Equal(4, run.Line);
    }

    [Fact]
    public void Stages_split_at_each_from_with_their_names()
    {
        var dockerfile = Dockerfile.Parse("""
            ARG VERSION=1
            FROM --platform=linux/amd64 golang:1.23 AS build
            RUN go build
            FROM build
            FROM debian:12
            COPY --from=build /out /app
            """);

        Assert.Equal(["golang:1.23", "build", "debian:12"], dockerfile.Stages.Select(stage => stage.Image));
        Assert.Equal("build", dockerfile.Stages[0].Name);
        Assert.True(dockerfile.IsStageName("BUILD"));
        var copy = Assert.Single(dockerfile.FinalStage.All("COPY"));
        Assert.Equal("build", copy.Flags["from"]);
        Assert.Equal(["/out", "/app"], copy.Words);
    }

    [Fact]
    public void Exec_form_and_env_forms_are_read()
    {
        var dockerfile = Dockerfile.Parse("""
            FROM scratch
            ENV A=1 B="two words"
            ENV LEGACY value with spaces
            ENTRYPOINT ["/bin/app", "--flag"]
            """);

        var env = dockerfile.FinalStage.All("ENV").ToArray();
        Assert.Equal("two words", env[0].Variables["B"]);
        Assert.Equal("1", env[0].Variables["A"]);
        Assert.Equal("value with spaces", env[1].Variables["LEGACY"]);
        var entrypoint = Assert.Single(dockerfile.FinalStage.All("ENTRYPOINT"));
        Assert.True(entrypoint.IsExecForm);
        Assert.Equal(["/bin/app", "--flag"], entrypoint.ExecArguments);
    }

    [Theory]
    [InlineData("RUN true")]
    [InlineData("FROM a:1 AS")]
    [InlineData("FROM a:1\nRUN echo \\")]
    public void Malformed_files_are_rejected(string text) =>
        Assert.Throws<FormatException>(() => Dockerfile.Parse(text));

    [Theory]
    [InlineData("nvidia/cuda:12.8.1-runtime-ubuntu24.04", "nvidia/cuda", "12.8.1-runtime-ubuntu24.04", null)]
    [InlineData("localhost:5000/team/app", "localhost:5000/team/app", null, null)]
    [InlineData("mcr.microsoft.com/dotnet/sdk:10.0.100-noble@sha256:abc", "mcr.microsoft.com/dotnet/sdk", "10.0.100-noble", "sha256:abc")]
    public void Image_references_split_into_repository_tag_and_digest(string reference, string repository, string? tag, string? digest) =>
        Assert.Equal(new ImageReference(repository, tag, digest), ImageReference.Parse(reference));
}
