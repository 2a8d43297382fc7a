# The llmq worker image: the published worker on an NVIDIA CUDA runtime base (NVRTC and cuBLAS for the GPU
# backend; the driver, libcuda.so.1, is mounted by the host's NVIDIA container runtime).
# Build from the repository root:  docker build -t llmq-worker:dev .
# All three bases are Ubuntu 24.04 (noble): the .NET runtime copied from the aspnet image runs on the CUDA image's OS.
# Tags are pinned to the SDK and runtime the repository builds and tests with; bump them together
# (tests/Infra.Tests checks the release, global.json's feature band and the target framework).

# --- build: restore from the project files alone (a cached layer until a project file changes), then publish.
FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
# Every project the worker references, directly or not (tests/Infra.Tests checks this list against the
# ProjectReference graph of src/Worker/Worker.csproj).
COPY src/Contracts/Contracts.csproj src/Contracts/
COPY src/Models/Models.csproj src/Models/
COPY src/Engine/Engine.csproj src/Engine/
COPY src/Engine.Cpu/Engine.Cpu.csproj src/Engine.Cpu/
COPY src/Gpu/Gpu.csproj src/Gpu/
COPY src/Transport/Transport.csproj src/Transport/
COPY src/Transport.InMemory/Transport.InMemory.csproj src/Transport.InMemory/
COPY src/Transport.RabbitMq/Transport.RabbitMq.csproj src/Transport.RabbitMq/
COPY src/Transport.ServiceBus/Transport.ServiceBus.csproj src/Transport.ServiceBus/
COPY src/Serving/Serving.csproj src/Serving/
COPY src/Worker/Worker.csproj src/Worker/
RUN dotnet restore src/Worker/Worker.csproj --runtime linux-x64
COPY src/ src/
RUN dotnet publish src/Worker/Worker.csproj --configuration Release --runtime linux-x64 --self-contained false \
        --no-restore --output /app -p:UseAppHost=false

# --- dotnet: the ASP.NET Core shared runtime (the worker's operations endpoint runs on Kestrel).
FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble AS dotnet

# --- runtime: CUDA runtime libraries + the .NET runtime + the published worker, as a non-root user.
FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04 AS runtime
# The .NET runtime's own dependencies on noble (what the official runtime-deps image installs).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libicu74 libssl3t64 tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
# UID 1654 is the "app" user of the official .NET images; the model cache is the one path it writes.
RUN groupadd --gid 1654 app \
    && useradd --uid 1654 --gid app --create-home --shell /usr/sbin/nologin app \
    && mkdir /models \
    && chown app:app /models
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    LLMQ_Engine__CacheDirectory=/models
WORKDIR /app
COPY --from=build /app /app
USER 1654:1654
VOLUME ["/models"]
# Operations:Port: /healthz, /readyz and /metrics.
EXPOSE 8080
ENTRYPOINT ["/usr/share/dotnet/dotnet", "/app/LlmQueue.Worker.dll"]
